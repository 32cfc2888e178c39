/**
 * The reference agent's behaviour over time: the durable spool (nothing lost across restarts
 * and outages, a record sent twice counted once), upload back-off and jitter on an injected
 * clock, the run loop on injected timers, the manual fix (import-cert) while running, an
 * unreadable trust state, learning the version of an imported certificate, settings.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  Agent,
  FileAgentStorage,
  HttpTransport,
  MemoryAgentStorage,
  importTrustedCertificate,
  newAgentMeta,
  type AgentTimers,
  type Transport,
} from '../../core/agent/index.js';
import { API_PATHS, fleetService, type FleetServer } from '../../core/fleet/index.js';
import { rotationPath } from '../../core/protocol/wire.js';
import { AGENT_AUTH_HEADERS } from '../../core/protocol/request-auth.js';
import { createTrustState, fingerprintSha256 } from '../../core/trust/index.js';
import { updateSettings } from '../../core/store/settings.js';
import { tempDir } from '../helpers/temp.js';
import { currentSigner, makeStore, renew, startHostile, startServer, waitFor, type HostileServer } from '../fleet/helpers.js';
import { head, serveSnapshot, signedFeed, testAgent } from './kit.js';

let dataDir: string;
let server: FleetServer;
let hostile: HostileServer;
let v1: Awaited<ReturnType<typeof currentSigner>>;

beforeAll(async () => {
  dataDir = await makeStore();
  server = await startServer(dataDir);
  v1 = await currentSigner(dataDir);
  hostile = await startHostile();
  // A forged head on the mirror: every cycle against it logs one refusal.
  const feed = await signedFeed(v1);
  const [h, p, s] = head(feed).split('.') as [string, string, string];
  serveSnapshot(hostile, feed, { 'index.jws': `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}` });
});

async function closedPort(): Promise<string> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return `http://127.0.0.1:${port}`;
}

const stored = async (agentId: string) => (await fleetService(dataDir).queryAuthFailures({ agentId, limit: 500 })).records;

/** An agent on disk that met the forged head while the server was down: one refusal, spooled. */
async function refusedWhileServerDown() {
  const dir = join(await tempDir(), 'agent');
  const storage = new FileAgentStorage(dir);
  await importTrustedCertificate(storage, v1.certificate);
  const agent = new Agent({ serverUrl: await closedPort(), feedUrl: hostile.feedUrl, storage });
  const first = await agent.runOnce({ upload: 'force' });
  expect(first.refused).toHaveLength(1);
  return { dir, agent, first };
}

describe('the spool', () => {
  it('keeps records across an outage and an agent restart, then uploads them once', async () => {
    // The server is down: the refusal is spooled on disk, the upload fails and backs off.
    const { dir, agent: down, first } = await refusedWhileServerDown();
    expect(first.offline).toBe(true);
    const agentId = await down.agentId();
    expect((await readFile(join(dir, 'spool.ndjson'), 'utf8')).trim().split('\n')).toHaveLength(1);
    expect(JSON.parse(await readFile(join(dir, 'agent.json'), 'utf8')).upload.attempts).toBe(1);

    // A new process on the same folder, the server back: uploaded, acknowledged, gone from the spool.
    const restarted = new Agent({ serverUrl: server.url, feedUrl: hostile.feedUrl, storage: new FileAgentStorage(dir) });
    const second = await restarted.runOnce({ upload: 'force' });
    // This cycle's refusal is the same one again (same forged head): counted on the waiting record.
    expect(second.refused.map((r) => r.id)).toEqual([first.refused[0]!.id]);
    expect(second.uploaded).toBe(1);
    expect(await restarted.agentId()).toBe(agentId);
    expect((await readFile(join(dir, 'spool.ndjson'), 'utf8')).trim()).toBe('');
    const records = await stored(agentId);
    expect(records.map((r) => r.id)).toEqual([first.refused[0]!.id]);
    expect(records[0]!.detail).toMatch(/\(refused 2 times in all, the last at .+\)$/);
    expect(JSON.parse(await readFile(join(dir, 'agent.json'), 'utf8')).upload.attempts).toBe(0);
  });

  it('an upload rewritten on the way is refused by the server (the agent signed it): nothing stored, the agent keeps its records', async () => {
    const storage = new MemoryAgentStorage({ trust: createTrustState(v1.certificate), meta: newAgentMeta(`mitm-${Date.now()}`, new Date()) });
    const base = new HttpTransport();
    // A machine in the middle turns every forged-signature record into a harmless timeout.
    const transport: Transport = {
      request: (req) => base.request(String(req.url).endsWith(API_PATHS.authFailures) && typeof req.body === 'string' ? { ...req, body: req.body.replaceAll('"forged-signature"', '"timeout"') } : req),
    };
    const a = new Agent({ serverUrl: server.url, feedUrl: hostile.feedUrl, storage, transport });
    const report = await a.runOnce({ upload: 'force' });
    expect(report.refused.map((r) => r.reason)).toEqual(['forged-signature']);
    expect(report.uploaded).toBe(0);
    // Nothing the agent saw was forgotten, and the rewritten copy was not stored.
    expect(storage.spool.map((r) => r.reason)).toEqual(['forged-signature']);
    const agentId = await a.agentId();
    expect(await stored(agentId)).toEqual([]);
    base.destroy();

    // The path is clean again: the true record reaches the server.
    const clean = new Agent({ serverUrl: server.url, feedUrl: hostile.feedUrl, storage });
    await clean.runOnce({ upload: 'force' });
    expect((await stored(agentId)).map((r) => r.reason)).toEqual(['forged-signature']);
    expect(storage.spool).toHaveLength(0);
  });

  it('records spooled before agent.json was recreated are uploaded: the identity is the key, not agent.json', async () => {
    const { dir, agent: offline, first } = await refusedWhileServerDown();
    const oldId = await offline.agentId();
    // The fix the agent's own error text suggests for a broken agent.json: delete it.
    await rm(join(dir, 'agent.json'));
    const again = new Agent({ serverUrl: server.url, feedUrl: hostile.feedUrl, storage: new FileAgentStorage(dir) });
    const report = await again.runOnce({ upload: 'force' });
    const newId = await again.agentId();
    expect(newId).toBe(oldId);
    expect(report.uploaded).toBe(1);
    expect((await stored(newId)).map((r) => r.id)).toContain(first.refused[0]!.id);
  });

  it('an agent whose clock is ten minutes slow or fast still checks in and uploads (answers are bound by their nonce); one hours off is refused', async () => {
    for (const offsetMs of [-10 * 60_000, 10 * 60_000]) {
      const storage = new MemoryAgentStorage({ trust: createTrustState(v1.certificate), meta: newAgentMeta(`skewed-${offsetMs}-${Date.now()}`, new Date()) });
      const a = new Agent({ serverUrl: server.url, storage, now: () => new Date(Date.now() + offsetMs) });
      const report = await a.runOnce({ upload: 'force' });
      expect(report.checkedIn, String(offsetMs)).toBe(true);
      expect(report.refused.filter((r) => r.messageKind === 'endpoint-response')).toEqual([]);
    }
    // Times an agent sends are bounded by the server's clock (request-auth.ts MAX_CLOCK_SKEW_MS).
    const storage = new MemoryAgentStorage({ trust: createTrustState(v1.certificate), meta: null });
    const far = new Agent({ serverUrl: server.url, storage, now: () => new Date(Date.now() + 60 * 60_000) });
    expect((await far.runOnce()).checkedIn).toBe(false);
    expect(server.registry.get(await far.agentId())).toBeUndefined();
  });

  it('the same refusal at every poll is one record with a count, not one record per poll', async () => {
    const a = testAgent({ serverUrl: server.url, feedUrl: hostile.feedUrl, certificate: v1.certificate });
    for (let i = 0; i < 5; i++) expect((await a.agent.runOnce({ upload: 'never' })).refused.map((r) => r.reason)).toEqual(['forged-signature']);
    expect(a.storage.spool).toHaveLength(1);
    const report = await a.agent.runOnce({ upload: 'force' });
    expect(report.uploaded).toBe(1);
    const [record] = await stored(a.id);
    expect(record!.detail).toMatch(/\(refused 6 times in all, the last at .+\)$/);
    // Once uploaded, the next one starts a new record (and the count starts again).
    await a.agent.runOnce({ upload: 'never' });
    expect(a.storage.spool).toHaveLength(1);
    expect(a.storage.spool[0]!.id).not.toBe(record!.id);
    expect((await a.storage.loadMeta())!.repeats).toEqual({});
  });

  it('a record whose acknowledgement was lost is sent again and counted once', async () => {
    // A proxy that delivers the upload to the server but loses the answer the first time.
    let lose = true;
    const proxy = http.createServer(async (req, res) => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const signed = Object.fromEntries(Object.values(AGENT_AUTH_HEADERS).map((h) => [h, String(req.headers[h])]));
      const upstream = await fetch(`${server.url}${req.url}`, { method: req.method, headers: { 'content-type': 'application/json', ...signed }, body: Buffer.concat(chunks) });
      const body = Buffer.from(await upstream.arrayBuffer());
      if (req.url === API_PATHS.authFailures && lose) {
        res.socket?.destroy();
        return;
      }
      res.writeHead(upstream.status, { 'content-type': upstream.headers.get('content-type') ?? 'application/octet-stream' }).end(body);
    });
    await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
    try {
      const a = testAgent({ serverUrl: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`, feedUrl: hostile.feedUrl, certificate: v1.certificate });
      const first = await a.agent.runOnce({ upload: 'force' });
      expect(first.uploaded).toBe(0);
      expect(a.storage.spool).toHaveLength(1);
      expect(await stored(a.id)).toHaveLength(1);
      lose = false;
      const second = await a.agent.runOnce({ upload: 'force' });
      // Sent again (with this cycle's repeat counted on it), stored once.
      expect(second.uploaded).toBe(1);
      expect(a.storage.spool).toHaveLength(0);
      expect(await stored(a.id)).toHaveLength(1);
    } finally {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
    }
  });

  it('bounds the spool: the oldest records give way, and the agent counts them', async () => {
    const storage = new MemoryAgentStorage({ trust: createTrustState(v1.certificate), meta: newAgentMeta('full', new Date()) });
    const record = (i: number) => ({ id: `r${i}`, agentId: 'full', time: new Date().toISOString(), messageKind: 'notification', reason: 'replay', fingerprintSeen: null });
    await storage.appendFailures(Array.from({ length: 10_000 }, (_, i) => record(i)));
    expect(await storage.appendFailures([record(10_000), record(10_001)])).toBe(2);
    expect(storage.spool[0]!.id).toBe('r2');
  });
});

describe('upload schedule', () => {
  it('first run: a random point in the interval; success: the interval ±10 %; failure: exponential back-off with jitter, capped', async () => {
    // Near the real time: the server signs its acknowledgements with the real clock.
    let now = Date.now();
    let random = 0.5;
    const storage = new MemoryAgentStorage({ trust: createTrustState(v1.certificate), meta: newAgentMeta('sched', new Date(now)) });
    const unreachable = await closedPort();
    const make = (serverUrl: string) =>
      new Agent({ serverUrl, feedUrl: hostile.feedUrl, storage, now: () => new Date(now), random: () => random, backoff: { baseMs: 1000, maxMs: 10_000 }, uploadIntervalMinutes: 60 });
    const agent = make(unreachable);
    const nextAt = () => Date.parse(storage.meta!.upload.nextAt!);

    await agent.runOnce();
    expect(nextAt() - now).toBe(0.5 * 3600_000);

    // Due, the server is down: attempt 1 waits 1 s × (0.5 + 0.5·random), attempt 2 twice that...
    now = nextAt();
    const delays: number[] = [];
    for (let attempt = 1; attempt <= 6; attempt++) {
      await agent.runOnce();
      expect(storage.meta!.upload.attempts).toBe(attempt);
      delays.push(nextAt() - now);
      now = nextAt();
    }
    expect(delays).toEqual([750, 1500, 3000, 6000, 7500, 7500]);
    random = 0;
    await agent.runOnce();
    expect(nextAt() - now).toBe(5000);
    random = 0.999;
    now = nextAt();
    await agent.runOnce();
    expect(nextAt() - now).toBeLessThan(10_000);
    expect(nextAt() - now).toBeGreaterThan(9_900);

    // The server is back: uploaded, then the normal interval with ±10 % jitter.
    // (Forced at the real time: the server's signed answers live 5 minutes.)
    now = Date.now();
    random = 0;
    const back = await make(server.url).runOnce({ upload: 'force' });
    expect(back.uploaded).toBeGreaterThan(0);
    expect(storage.meta!.upload.attempts).toBe(0);
    expect(nextAt() - now).toBe(0.9 * 3600_000);
  });

  it('the interval comes from the server signed settings unless overridden', async () => {
    await updateSettings(dataDir, { logUploadIntervalMinutes: 15 });
    await waitFor(async () => {
      const a = testAgent({ serverUrl: server.url, certificate: v1.certificate, random: () => 0 });
      const r = await a.agent.runOnce();
      return r.refused.length === 0 && a.storage.meta?.settings?.logUploadIntervalMinutes === 15;
    }, 'an agent to take the 15-minute setting');
    let now = Date.now();
    const a = testAgent({ serverUrl: server.url, certificate: v1.certificate, random: () => 0, now: () => new Date(now) });
    await a.agent.runOnce({ upload: 'force' });
    expect(Date.parse(a.storage.meta!.upload.nextAt!) - now).toBe(0.9 * 15 * 60_000);
    now += 1;
    const pinned = testAgent({ serverUrl: server.url, certificate: v1.certificate, random: () => 0, now: () => new Date(now), uploadIntervalMinutes: 120 });
    await pinned.agent.runOnce({ upload: 'force' });
    expect(Date.parse(pinned.storage.meta!.upload.nextAt!) - now).toBe(0.9 * 120 * 60_000);
  });
});

describe('the run loop on injected timers', () => {
  it('polls the feed at the poll interval with jitter, and stop() ends it', async () => {
    const scheduled: { at: number; run: () => void; id: number }[] = [];
    let clock = Date.now();
    let ids = 0;
    const timers: AgentTimers = {
      setTimeout: (run, ms) => {
        const id = ++ids;
        scheduled.push({ at: clock + ms, run, id });
        return id;
      },
      clearTimeout: (id) => {
        const i = scheduled.findIndex((s) => s.id === id);
        if (i >= 0) scheduled.splice(i, 1);
      },
    };
    const cycles: number[] = [];
    const a = testAgent({ serverUrl: server.url, certificate: v1.certificate, timers, now: () => new Date(clock), random: () => 0.5, pollIntervalSeconds: 300, onEvent: (e) => e.type === 'checked-in' && cycles.push(clock) });
    const next = async () => {
      const due = scheduled.sort((x, y) => x.at - y.at).shift()!;
      clock = Math.max(clock, due.at);
      due.run();
      await waitFor(() => scheduled.length > 0, 'the next timer');
    };
    a.agent.start();
    await next(); // the first cycle, at once
    expect(cycles).toHaveLength(1);
    expect(scheduled[0]!.at - clock).toBe(300_000);
    await next();
    await a.agent.stop();
    expect(scheduled).toHaveLength(0);
  });
});

describe('trust state problems and the manual fix', () => {
  it('import-cert while the agent works: the agent drops its cycle instead of overwriting the new trust', async () => {
    const dir = join(await tempDir(), 'agent');
    const storage = new FileAgentStorage(dir);
    await importTrustedCertificate(storage, v1.certificate);
    const other = (await import('./kit.js')).makeIdentity('replacement');
    const base = new HttpTransport();
    let imported = false;
    const transport: Transport = {
      request: async (req) => {
        const res = await base.request(req);
        if (!imported && String(req.url).endsWith('index.jws')) {
          imported = true;
          await importTrustedCertificate(new FileAgentStorage(dir), other.certificate);
        }
        return res;
      },
    };
    const events: string[] = [];
    const a = new Agent({ serverUrl: server.url, storage, transport, onEvent: (e) => events.push(e.type) });
    const report = await a.runOnce();
    expect(report.interrupted).toBe(true);
    expect((await storage.loadTrust())!.state.fingerprintSha256).toBe(other.fingerprintSha256);
    // The same agent, next cycle: it sees the new trust state as imported (version unknown)
    // and, this certificate being named nowhere by the server, keeps it unknown and refuses the feed.
    events.length = 0;
    const next = await a.runOnce();
    expect(events).not.toContain('version-learnt');
    expect((await storage.loadTrust())!.state.versionKnown).toBe(false);
    expect(next.refused.map((r) => r.reason)).toContain('untrusted-key');
    base.destroy();
  });

  it('an unreadable trust state is refused, logged once, and the agent shows up as a client without a valid certificate', async () => {
    const dir = join(await tempDir(), 'agent');
    const storage = new FileAgentStorage(dir);
    await importTrustedCertificate(storage, v1.certificate);
    await writeFile(join(dir, 'trust.json'), '{"format":"cm-trust-state/1","version":1,"certificate":"AAAA"}');
    const a = new Agent({ serverUrl: server.url, storage });
    const report = await a.runOnce({ upload: 'force' });
    expect(report.refused.map((r) => [r.messageKind, r.reason])).toEqual([['trust-state', 'malformed']]);
    expect((await a.runOnce({ upload: 'force' })).refused).toEqual([]);
    const agentId = await a.agentId();
    // Stored by the server although the agent cannot verify the acknowledgement (so it keeps its copy).
    expect((await stored(agentId)).map((r) => r.reason)).toEqual(['malformed']);
    await waitFor(async () => (await fleetService(dataDir).clientsWithoutValidCertificate({ offset: 0, limit: 500 })).agents.find((x) => x.agentId === agentId && x.trustedFingerprint === ''), 'the agent in the list');
  });

  it('after import-cert of an old certificate, the agent learns its version from the chain and follows the renewals', async () => {
    const dir = await makeStore();
    const srv = await startServer(dir);
    const old = await currentSigner(dir);
    await renew(dir);
    await renew(dir);
    await waitFor(() => srv.snapshot().version === 3, 'version 3');
    const storage = new MemoryAgentStorage();
    await importTrustedCertificate(storage, old.certificate);
    const events: string[] = [];
    const a = new Agent({ serverUrl: srv.url, storage, onEvent: (e) => events.push(e.type) });
    const report = await a.runOnce();
    expect(report.refused).toEqual([]);
    expect(report.version).toBe(3);
    expect(report.rotatedBy).toBe(2);
    expect(events).toContain('version-learnt');
    expect((await storage.loadTrust())!.state.versionKnown).toBe(true);

    // Importing the current certificate: the signed head gives its version.
    const current = await currentSigner(dir);
    const fresh = new MemoryAgentStorage();
    await importTrustedCertificate(fresh, current.certificate);
    const r2 = await new Agent({ serverUrl: srv.url, storage: fresh }).runOnce();
    expect(r2.refused).toEqual([]);
    expect(r2.version).toBe(3);
    expect((await fresh.loadTrust())!.state.fingerprintSha256).toBe(fingerprintSha256(current.certificate));
  });

  it('an empty chain served once (by a mirror or on the wire) does not pin a version: the real chain is followed next time', async () => {
    const dir = await makeStore();
    const srv = await startServer(dir);
    await renew(dir);
    const v2 = await currentSigner(dir);
    await renew(dir);
    await waitFor(() => srv.snapshot().version === 3, 'version 3');
    const mirror = await startHostile();
    // The statement leading on from v2 withheld (404): as far as this mirror says, nothing leads on.
    serveSnapshot(mirror, srv.snapshot());
    mirror.set(rotationPath(fingerprintSha256(v2.certificate)), null);
    const storage = new MemoryAgentStorage();
    await importTrustedCertificate(storage, v2.certificate);
    const a = new Agent({ serverUrl: srv.url, feedUrl: mirror.feedUrl, storage, timeoutMs: 2_000 });
    await a.runOnce();
    expect((await storage.loadTrust())!.state.versionKnown).toBe(false);
    serveSnapshot(mirror, srv.snapshot());
    const report = await a.runOnce();
    expect(report.refused).toEqual([]);
    expect(report.version).toBe(3);
    await mirror.close();
  });

  it('fetching the same head again is not an attack; nothing is logged', async () => {
    const a = testAgent({ serverUrl: server.url, certificate: v1.certificate });
    expect((await a.agent.runOnce()).refused).toEqual([]);
    const again = await a.agent.runOnce();
    expect(again.refused).toEqual([]);
    expect(a.storage.spool).toHaveLength(0);
  });
});
