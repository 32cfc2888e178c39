// core/platform/console-io.ts: where the CLI's standard input comes from. On win32 Electron's
// process.stdin only ends (electron/electron lib/common/init.ts), so the module must read fd 0
// itself. Run in a real child process whose fd 0 is a real file or a real pipe; the platform is
// injected (win32) and Electron's ending stream stands in for process.stdin.
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STDIN_FD, standardInput } from '../../core/platform/console-io.js';

/** Electron's win32 replacement for process.stdin: a Readable that is pushed null, nothing else. */
const electronStdin = () => {
  const stdin = new Readable({ read() {} });
  stdin.push(null);
  return stdin;
};

describe('standardInput with the platform injected', () => {
  it('elsewhere than win32, is process.stdin itself', () => {
    const stdin = electronStdin();
    expect(standardInput({ platform: 'linux', processStdin: stdin })).toBe(stdin);
    expect(standardInput({ platform: 'darwin', processStdin: stdin })).toBe(stdin);
  });

  it('on win32 opens fd 0 as a console when it is one (the hidden prompt needs setRawMode), else as a file', () => {
    const opened: string[] = [];
    const console = new Readable({ read() {} });
    const file = new Readable({ read() {} });
    const deps = {
      platform: 'win32' as const,
      processStdin: electronStdin(),
      openConsole: (fd: number) => (opened.push(`console ${fd}`), console),
      openFile: (fd: number) => (opened.push(`file ${fd}`), file),
    };
    expect(standardInput({ ...deps, isatty: (fd) => fd === STDIN_FD })).toBe(console);
    expect(standardInput({ ...deps, isatty: () => false })).toBe(file);
    expect(opened).toEqual(['console 0', 'file 0']);
  });
});

describe('standardInput on win32 (injected) in a child process with a real fd 0', () => {
  let dir: string;
  let script: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cm-console-io-'));
    // The module as Node runs it: transpiled from the source, no other imports than node:*.
    const source = readFileSync(resolve(import.meta.dirname, '../../core/platform/console-io.ts'), 'utf8');
    const js = ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText;
    writeFileSync(join(dir, 'console-io.mjs'), js);
    script = join(dir, 'child.mjs');
    writeFileSync(
      script,
      `import { Readable } from 'node:stream';
import { standardInput } from './console-io.mjs';
const ending = new Readable({ read() {} });
ending.push(null);
const platform = process.argv[2];
const stdin = standardInput({ platform, processStdin: ending });
const chunks = [];
for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
process.stdout.write('READ[' + Buffer.concat(chunks).toString('utf8') + ']');
`,
    );
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const password = 'Pass:w0rd パスワード\r\n';

  it('reads a password from a file (-g - < password.txt)', () => {
    const file = join(dir, 'password.txt');
    writeFileSync(file, password);
    const fd = openSync(file, 'r');
    try {
      const r = spawnSync(process.execPath, [script, 'win32'], { stdio: [fd, 'pipe', 'pipe'], encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(`READ[${password}]`);
    } finally {
      closeSync(fd);
    }
  });

  it('reads a password from a pipe (echo %P%| certificatemanager -b - a.zip)', () => {
    const r = spawnSync(process.execPath, [script, 'win32'], { input: password, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`READ[${password}]`);
  });

  it('control: through Electron’s process.stdin the same pipe reads nothing (the bug on win32)', () => {
    const r = spawnSync(process.execPath, [script, 'linux'], { input: password, encoding: 'utf8' });
    expect(r.stdout).toBe('READ[]');
  });
});
