// core/platform/stop-requests.ts: the launcher's "please stop" over a named pipe (a unix socket
// path here, the same net.Server code). Real sockets; a real child process that stops like serve.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STOP_REPLY, STOP_REQUEST, listenForStopRequests, stopPipeName } from '../../core/platform/stop-requests.js';

const send = (name: string, data: string | Buffer) =>
  new Promise<string>((done, fail) => {
    const socket = net.connect(name);
    let reply = '';
    socket.on('connect', () => socket.end(data));
    socket.on('data', (c) => (reply += c.toString()));
    let connected = false;
    socket.on('connect', () => (connected = true));
    socket.on('close', () => done(reply));
    // A reset after connecting is the listener hanging up on a bad request.
    socket.on('error', (error) => (connected ? socket.destroy() : fail(error)));
  });

describe('stop requests', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cm-stop-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('names the pipe the launcher opens (launcher.c STOP_PIPE_PREFIX) from the child’s pid', () => {
    expect(stopPipeName(4242, 'win32')).toBe('\\\\.\\pipe\\certificatemanager-stop-4242');
    expect(stopPipeName(4242, 'linux', '/run/x')).toBe('/run/x/certificatemanager-stop-4242.sock');
    const source = readFileSync(resolve(import.meta.dirname, '../../scripts/installer/launcher/launcher.c'), 'utf8');
    expect(source).toContain('#define STOP_PIPE_PREFIX L"\\\\\\\\.\\\\pipe\\\\certificatemanager-stop-"');
    expect(source).toContain(`#define STOP_REQUEST "${STOP_REQUEST.replace('\n', '\\n')}"`);
    for (const bad of [0, -1, 1.5, Number.NaN]) expect(() => stopPipeName(bad, 'win32')).toThrow(/not a process id/);
  });

  it('stops once on "stop\\n", however many peers ask; ignores anything else', async () => {
    const name = join(dir, 'a.sock');
    let stops = 0;
    const listener = await listenForStopRequests(name, () => stops++);
    try {
      expect(await send(name, 'hello\n')).toBe('');
      expect(await send(name, 'stop')).toBe(''); // incomplete, then closed
      expect(await send(name, Buffer.alloc(100_000, 0x41))).toBe('');
      expect(await send(name, 'stop\nand more')).toBe('');
      expect(stops).toBe(0);
      expect(await send(name, STOP_REQUEST)).toBe(STOP_REPLY);
      expect(await send(name, STOP_REQUEST)).toBe(STOP_REPLY);
      expect(stops).toBe(1);
    } finally {
      await listener.close();
    }
  });

  it('a command waiting for SIGINT (like serve and agent) stops cleanly, prints its line and exits 0', async () => {
    const source = readFileSync(resolve(import.meta.dirname, '../../core/platform/stop-requests.ts'), 'utf8');
    writeFileSync(join(dir, 'stop-requests.mjs'), ts.transpileModule(source, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 } }).outputText);
    const script = join(dir, 'child.mjs');
    // The same wiring as electron/main.ts's CLI branch; the "command" waits for SIGINT like
    // core/cli/fleet-commands.ts untilSignal, then releases its lock file and says so.
    writeFileSync(
      script,
      `import { listenForStopRequests, stopPipeName } from './stop-requests.mjs';
import { writeFileSync, rmSync } from 'node:fs';
const lock = process.argv[2] + '/serve.lock';
writeFileSync(lock, String(process.pid));
process.once('SIGINT', () => { rmSync(lock); process.stdout.write('Stopped.\\n'); setTimeout(() => process.exit(0), 10); });
await listenForStopRequests(stopPipeName(process.pid, 'linux', process.argv[2]), () => process.emit('SIGINT', 'SIGINT'));
process.stdout.write('READY\\n');
setInterval(() => {}, 1000);
`,
    );
    const child = spawn(process.execPath, [script, dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    await new Promise<void>((ready) => child.stdout.on('data', () => out.includes('READY') && ready()));
    // 'close', not 'exit': 'exit' can come before the last of stdout has been read (on a busy
    // machine both are pending at once), and the test reads stdout next.
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    expect(await send(stopPipeName(child.pid!, 'linux', dir), STOP_REQUEST)).toBe(STOP_REPLY);
    expect(await exited).toBe(0);
    expect(out).toBe('READY\nStopped.\n');
    expect(() => readFileSync(join(dir, 'serve.lock'))).toThrow(/ENOENT/);
  }, 30_000);
});
