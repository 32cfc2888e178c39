/**
 * Runs the real `certificatemanager` command (the bundle in dist/cli/) as a separate process.
 * By default through test/helpers/cli-test-strength.mjs, which protects new backups with 1,000
 * PBKDF2 iterations; `fullStrength: true` runs bin/certificatemanager.js itself, as admins do,
 * at 600,000. A few tests in test/cli keep full strength; kills, races and bad input do not
 * depend on it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { STEP_WORDS } from '../../core/cli/main.js';

export const BIN = fileURLToPath(new URL('../../bin/certificatemanager.js', import.meta.url));
/** The same command with cheap key stretching for new backups (see the file). */
export const TEST_STRENGTH_BIN = fileURLToPath(new URL('./cli-test-strength.mjs', import.meta.url));

export interface CliOptions {
  dataDir?: string;
  /** Text, or raw bytes (a password file in another encoding). */
  stdin?: string | Buffer;
  env?: Record<string, string>;
  /** Run bin/certificatemanager.js, with the production key stretching (default: test strength). */
  fullStrength?: boolean;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function startCli(args: string[], options: CliOptions = {}): { child: ChildProcess; done: Promise<CliResult> } {
  const env: Record<string, string | undefined> = { ...process.env, ...options.env };
  delete env['CERTIFICATEMANAGER_DATA_DIR'];
  const child = spawn(process.execPath, [options.fullStrength ? BIN : TEST_STRENGTH_BIN, ...(options.dataDir ? ['--data-dir', options.dataDir] : []), ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin!.end(options.stdin ?? '');
  const done = new Promise<CliResult>((resolve) => child.on('close', (code, signal) => resolve({ code: code ?? (signal ? -1 : 0), stdout, stderr })));
  return { child, done };
}

export function cli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  return startCli(args, options).done;
}

/** `cli` through bin/certificatemanager.js itself, at production key stretching. */
export const fullStrengthCli = (args: string[], options: CliOptions = {}): Promise<CliResult> => cli(args, { ...options, fullStrength: true });

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
