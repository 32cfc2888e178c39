/** The CLI's own main function, called in this process: same parsing, same errors, no spawn. */
import { PassThrough } from 'node:stream';
import { runCli } from '../../core/cli/main.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runInProcess(args: string[], options: { dataDir?: string; stdin?: string } = {}): Promise<InProcessResult> {
  const stdin = new PassThrough();
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = '';
  let err = '';
  stdout.on('data', (d: Buffer) => (out += d.toString()));
  stderr.on('data', (d: Buffer) => (err += d.toString()));
  stdin.end(options.stdin ?? '');
  const env: Record<string, string | undefined> = { ...process.env };
  delete env['CERTIFICATEMANAGER_DATA_DIR'];
  const code = await runCli([...(options.dataDir ? ['--data-dir', options.dataDir] : []), ...args], { stdin, stdout, stderr, env });
  return { code, stdout: out, stderr: err };
}
