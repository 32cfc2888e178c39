/**
 * The CLI's own main function, called in this process: the same parsing, messages, refusals and
 * exit codes that bin/ hands to the process, without starting one (each start costs ~0.3 s of
 * CPU here). For what does not depend on the process itself; kills, locks held by other
 * processes, signals, terminals and start-up keep real processes (helpers/cli.ts). Like that
 * helper, new backups get 1,000 PBKDF2 iterations and new keys come from helpers/test-keys.ts,
 * unless `fullStrength` is set.
 */
import { PassThrough } from 'node:stream';
import { expect } from 'vitest';
import { runCli } from '../../core/cli/main.js';
import { FIXTURE_STRENGTH } from '../helpers/fixtures.js';

export interface InProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function runInProcess(args: string[], options: { dataDir?: string; stdin?: string | Buffer; fullStrength?: boolean } = {}): Promise<InProcessResult> {
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
  const overrides = options.fullStrength ? {} : FIXTURE_STRENGTH;
  const code = await runCli([...(options.dataDir ? ['--data-dir', options.dataDir] : []), ...args], { stdin, stdout, stderr, env }, overrides);
  return { code, stdout: out, stderr: err };
}

/** What `status --json` reports for `dataDir` (it must exit 0): the reads tests do between the commands they test. */
// The JSON as the command prints it; callers read the fields they check.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export async function statusJson(dataDir: string): Promise<any> {
  const r = await runInProcess(['status', '--json'], { dataDir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}
