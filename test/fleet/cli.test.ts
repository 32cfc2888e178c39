/**
 * serve, agent and -l through the real `certificatemanager` command (separate processes).
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { AGENT_AUTH_HEADERS } from '../../core/protocol/request-auth.js';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { cli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { makeStore, renew, waitFor } from './helpers.js';

let root: string;
let dataDir: string;
let serve: ChildProcess;
let serveDone: Promise<{ code: number; stdout: string; stderr: string }>;
let url: string;
let publishDir: string;

beforeAll(async () => {
  root = await tempDir();
  dataDir = await makeStore();
  publishDir = join(root, 'www');
  const started = startCli(['serve', '--port', '0', '--publish', publishDir, '--json'], { dataDir });
  serve = started.child;
  serveDone = started.done;
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    serve.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    void started.done.then((r) => reject(new Error(`serve exited early: ${r.stderr}`)));
  });
  const facts = JSON.parse(line);
  url = facts.url;
  expect(facts).toMatchObject({ feedUrl: `${url}/feed/`, version: 1, publishDir });
});

afterAll(async () => {
  if (serve.exitCode === null) serve.kill('SIGTERM');
  await serveDone;
});

describe('certificatemanager serve / agent / -l', () => {
  const agentDir = () => join(root, 'agent');

  it('agent without a trusted certificate: exit 5, and it says how to give one', async () => {
    const r = await cli(['agent', '--server', url, '--state', join(root, 'nobody'), '--once']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/--trust <cer>.*-e <file>/);
  });

  it('agent --server with a bad URL: exit 2', async () => {
    expect((await cli(['agent', '--server', 'ftp://x', '--state', agentDir(), '--once'])).code).toBe(2);
  });

  it('-e, then agent --trust --once: provisioned, version learnt, checked in (exit 0)', async () => {
    const cer = join(root, 'agent.cer');
    expect((await cli(['-e', cer], { dataDir })).code).toBe(0);
    const r = await cli(['agent', '--server', url, '--state', agentDir(), '--trust', cer, '--once']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Provisioned the agent/);
    expect(r.stdout).toMatch(/Checked in; the server confirms/);
    expect(JSON.parse(await readFile(join(agentDir(), 'trust.json'), 'utf8'))).toMatchObject({ format: 'cm-trust-state/2', version: 1 });
  });

  it('a renewal while serve runs: the agent follows it on its next run', async () => {
    await renew(dataDir);
    await waitFor(async () => ((await fetch(`${url}/feed/rotations.json`).then((r) => r.json())) as { statements: unknown[] }).statements.length === 1, 'serve to publish the renewal');
    const r = await cli(['agent', '--server', url, '--state', agentDir(), '--once', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.some((l) => l.event?.type === 'rotated' && l.event.toVersion === 2)).toBe(true);
    expect(lines.at(-1).report).toMatchObject({ version: 2, rotatedBy: 1, checkedIn: true });
    // The static copy follows too.
    expect(JSON.parse(await readFile(join(publishDir, 'rotations.json'), 'utf8')).statements).toHaveLength(1);
  });

  it('agent --once against a feed it must refuse: exit 4, the refusal uploaded', async () => {
    // A proxy in front of the server that damages the feed and passes the agent API through.
    const proxy = http.createServer(async (req, res) => {
      if (req.url?.startsWith('/feed/')) return void res.end('not.a.jws');
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      // The agent's request signature passes through, as through any honest proxy.
      const signed = Object.fromEntries(Object.values(AGENT_AUTH_HEADERS).flatMap((h) => (typeof req.headers[h] === 'string' ? [[h, req.headers[h]]] : [])));
      const up = await fetch(`${url}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json', ...signed }, body: req.method === 'POST' ? Buffer.concat(chunks) : undefined });
      res.writeHead(up.status, { 'content-type': up.headers.get('content-type') ?? '' }).end(Buffer.from(await up.arrayBuffer()));
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const r = await cli(['agent', '--server', `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, '--state', agentDir(), '--once']);
      expect(r.code, r.stdout + r.stderr).toBe(4);
      expect(r.stderr).toMatch(/Refused \(notification\): malformed/);
      expect(r.stdout).toMatch(/Records uploaded: 1\b/);
    } finally {
      proxy.closeAllConnections();
      proxy.close();
    }
  });

  it('agent --once when the server is down: exit 1, the agent tries again later', async () => {
    const s = http.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const r = await cli(['agent', '--server', `http://127.0.0.1:${port}`, '--state', agentDir(), '--once']);
    expect(r.code).toBe(1);
  });

  it('agent import-cert: replaces the trust state and says what it did; a bad file is exit 4', async () => {
    const bogus = join(root, 'bogus.cer');
    await writeFile(bogus, 'not a certificate');
    expect((await cli(['agent', 'import-cert', bogus, '--state', agentDir()])).code).toBe(4);
    const cer = join(root, 'current.cer');
    expect((await cli(['-e', cer], { dataDir })).code).toBe(0);
    const r = await cli(['agent', 'import-cert', cer, '--state', agentDir()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Replaced the agent's trust state in .*: it now trusts [0-9a-f]{64}/);
    expect(r.stdout).toMatch(/Before, it trusted [0-9a-f]{64} \(version 2\)/);
    const again = await cli(['agent', '--server', url, '--state', agentDir(), '--once', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout.trim().split('\n').at(-1)!).report).toMatchObject({ version: 2, refused: [] });
  });

  it('-l: the CSV of clients without a valid certificate; exit 5 on a store without a certificate', async () => {
    expect((await cli(['-l', join(root, 'x.csv')], { dataDir: join(root, 'empty-store') })).code).toBe(5);
    const out = join(root, 'clients.csv');
    const r = await cli(['-l', out, '--json'], { dataDir });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ path: out, count: expect.any(Number) });
    expect((await readFile(out, 'utf8')).split('\r\n')[0]).toBe('\uFEFFagent id,fingerprint trusted,last check-in,last failure reason,host name,agent version,last failure at,state');
  });

  it('after a crash (SIGKILL), serve and the agent start again at once: the dead owner\'s lock is taken over', async () => {
    const firstLine = (child: ChildProcess, done: Promise<{ stderr: string }>) =>
      new Promise<string>((resolve, reject) => {
        let text = '';
        child.stdout!.on('data', (d: Buffer) => {
          text += d.toString();
          if (text.includes('\n')) resolve(text.split('\n')[0]!);
        });
        void done.then((r) => reject(new Error(`exited early: ${r.stderr}`)));
      });
    const crashedStore = await makeStore();
    const first = startCli(['serve', '--port', '0', '--json'], { dataDir: crashedStore });
    await firstLine(first.child, first.done);
    first.child.kill('SIGKILL');
    await first.done;
    const second = startCli(['serve', '--port', '0', '--json'], { dataDir: crashedStore });
    try {
      const facts = JSON.parse(await firstLine(second.child, second.done));
      expect(facts.url).toMatch(/^http:\/\/127\.0\.0\.1:/);
      // The same for an agent killed while it runs (it holds its lock from its first check-in on).
      const cer = join(root, 'crash.cer');
      expect((await cli(['-e', cer], { dataDir: crashedStore })).code).toBe(0);
      const state = join(root, 'crashed-agent');
      const running = startCli(['agent', '--server', facts.url, '--state', state, '--trust', cer]);
      let out = '';
      await new Promise<void>((resolve, reject) => {
        running.child.stdout!.on('data', (d: Buffer) => {
          out += d.toString();
          if (/Checked in/.test(out)) resolve();
        });
        void running.done.then((r) => reject(new Error(`the agent exited early: ${r.stderr}`)));
      });
      running.child.kill('SIGKILL');
      await running.done;
      const again = await cli(['agent', '--server', facts.url, '--state', state, '--once']);
      expect(again.code, again.stderr).toBe(0);
    } finally {
      second.child.kill('SIGTERM');
      await second.done;
    }
  }, 60_000);

  it('serve stops cleanly on SIGTERM (exit 0) and a second serve on the same folder is refused (exit 5)', async () => {
    const second = await cli(['serve', '--port', '0'], { dataDir });
    expect(second.code).toBe(5);
    serve.kill('SIGTERM');
    const done = await serveDone;
    expect(done.code).toBe(0);
    const agents = JSON.parse(await readFile(join(dataDir, 'fleet', 'agents.json'), 'utf8')).agents;
    expect(agents).toHaveLength(1);
  });
});
