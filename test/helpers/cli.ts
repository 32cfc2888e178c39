/** Runs the real `certificatemanager` command (bin/ + dist/) as a separate process. */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STEP_WORDS } from '../../core/cli/main.js';

export const BIN = fileURLToPath(new URL('../../bin/certificatemanager.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], options: { dataDir?: string; stdin?: string; env?: Record<string, string> } = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  delete env['CERTIFICATEMANAGER_DATA_DIR'];
  const child = spawn(process.execPath, [BIN, ...(options.dataDir ? ['--data-dir', options.dataDir] : []), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end(options.stdin ?? '');
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : 0), stdout, stderr })));
  return { child, done };
}

export function cli(args: string[], options: { dataDir?: string; stdin?: string; env?: Record<string, string> } = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

const PROGRESS_LINES = new Set(Object.values(STEP_WORDS).map((word) => `${word}...`));

/**
 * What stderr says besides the progress lines ("Checking...") a command writes as it goes: the
 * lines a refusal must keep to exactly one.
 */
export function messageLines(stderr: string): string[] {
  return stderr
    .trim()
    .split('\n')
    .filter((line) => line !== '' && !PROGRESS_LINES.has(line));
}
