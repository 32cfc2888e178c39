/**
 * A password of "-" at a console: asked for without echo. Run for real under a pseudo-terminal
 * (util-linux `script`, which gives the command a pty for stdin, stdout and stderr), typing
 * only after the prompt shows, as a person would.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { TEST_STRENGTH_BIN, cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { storeWithCertificate } from '../helpers/fixtures.js';

const haveScript = spawnSync('script', ['--version']).status === 0;
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

interface Session {
  output: string;
  code: number;
}

/** Runs the CLI under a pty; each time `prompt` appears, types the next of `keystrokes`. */
function atConsole(args: string[], keystrokes: (string | Buffer)[][], prompt: string | RegExp = 'Password: '): Promise<Session> {
  const command = [process.execPath, TEST_STRENGTH_BIN, ...args].map(shellQuote).join(' ');
  const env: NodeJS.ProcessEnv = { ...process.env, TERM: 'dumb' };
  delete env['CERTIFICATEMANAGER_DATA_DIR'];
  const child = spawn('script', ['-qec', command, '/dev/null'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  let prompts = 0;
  child.stdout.on('data', (d: Buffer) => {
    output += d.toString();
    const shown = () => (typeof prompt === 'string' ? output.split(prompt).length - 1 : (output.match(new RegExp(prompt.source, 'g')) ?? []).length);
    while (shown() > prompts && prompts < keystrokes.length) {
      // Raw mode is set right after the prompt is written; give it a moment, as a person would.
      // Each piece is a separate write, 50 ms apart, like separate key presses.
      const pieces = keystrokes[prompts++]!;
      pieces.forEach((piece, i) => setTimeout(() => child.stdin.write(piece), 150 + 50 * i));
    }
  });
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ output, code: code ?? -1 })));
}

const PASSWORD = 'Typed-Secret-2026!';
let store: string;
let root: string;

beforeAll(async () => {
  if (!haveScript) return;
  root = await tempDir('cm-tty-');
  store = join(root, 'store');
  await storeWithCertificate(store, 'setup password 1');
});

describe.skipIf(!haveScript)('"-" at a console (under a real pty; skipped without util-linux `script`)', () => {
  it('asks without echo, honours backspace, and uses exactly what was typed', async () => {
    const zip = join(root, 'typed.zip');
    // A typo, rubbed out with backspace.
    const session = await atConsole(['--data-dir', store, '-b', '-', zip], [[`${PASSWORD}x\u007f\r`]]);
    expect(session.code, session.output).toBe(0);
    expect(session.output).toContain('Password: ');
    expect(session.output).not.toContain('Typed-Secret');
    expect((await cli(['verify-backup', PASSWORD, zip], { dataDir: store })).code).toBe(0);
    expect((await cli(['verify-backup', `${PASSWORD}x`, zip], { dataDir: store })).code).toBe(3);
  });

  it('takes Japanese, even with a character split across two reads', async () => {
    const zip = join(root, 'japanese.zip');
    const typed = Buffer.from('パスワード二〇二六\r', 'utf8');
    // The split falls inside the three bytes of "ス".
    const session = await atConsole(['--data-dir', store, '-b', '-', zip], [[typed.subarray(0, 4), typed.subarray(4)]]);
    expect(session.code, session.output).toBe(0);
    expect(session.output).not.toContain('パスワード');
    expect((await cli(['verify-backup', 'パスワード二〇二六', zip], { dataDir: store })).code).toBe(0);
  });

  it('Ctrl+C cancels (exit 2) and writes nothing', async () => {
    const zip = join(root, 'cancelled.zip');
    const session = await atConsole(['--data-dir', store, '-b', '-', zip], [['abc\u0003']]);
    expect(session.code, session.output).toBe(2);
    expect(session.output).toContain('Cancelled');
    expect((await cli(['verify-backup', 'abc', zip], { dataDir: store })).code).toBe(4);
  });

  it('Enter alone is refused with a hint (exit 2)', async () => {
    const session = await atConsole(['--data-dir', store, '-b', '-', join(root, 'empty.zip')], [['\r']]);
    expect(session.code, session.output).toBe(2);
    expect(session.output).toContain('No password was typed');
  });

  // Issue 10, finding 12: a new password is asked twice, and the prompt says what it protects.
  const NEW_PROMPTS = /New backup password \(.*\): |Type the same password again to confirm: /;

  it('-g - asks twice, saying what the password protects; two different answers change nothing (exit 2)', async () => {
    const fresh = join(root, 'typo-store');
    const session = await atConsole(['--data-dir', fresh, '-g', '-', '--key-size', '2048'], [['First-Password-1\r'], ['First-Passwort-1\r']], NEW_PROMPTS);
    expect(session.code, session.output).toBe(2);
    expect(session.output).toMatch(/New backup password \(protects the backup of the new private key; 8 to 1024 characters\): /);
    expect(session.output).toContain('Type the same password again to confirm: ');
    expect(session.output).toContain('not the same');
    expect(session.output).not.toContain('First-Pass');
    expect(existsSync(fresh)).toBe(false);
  });

  it('-c - asks twice; the same password both times renews, and that password opens the automatic backup', async () => {
    const session = await atConsole(['--data-dir', store, '-c', '-', '--key-size', '2048', '--json'], [['Renewed-Secret-2026\r'], ['Renewed-Secret-2026\r']], NEW_PROMPTS);
    expect(session.code, session.output).toBe(0);
    expect(session.output).toContain('protects the backup of the renewed private key');
    const backupPath = /"backupPath": "([^"]+)"/.exec(session.output)?.[1];
    expect(backupPath).toBeTruthy();
    expect((await cli(['verify-backup', 'Renewed-Secret-2026', backupPath!], { dataDir: store })).code).toBe(0);
  });
});
