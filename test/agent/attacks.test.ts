/**
 * Attacks every agent refuses. Each test points a reference agent at a hostile feed mirror on
 * 127.0.0.1 (check-ins and uploads still go to the real server), checks the refusal and its
 * reason, that the agent's trust did not move, and that the auth-failure record reached the
 * server: the server's queryAuthFailures shows it.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { createPrivateKey, randomUUID } from 'node:crypto';
import { readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, FileAgentStorage } from '../../core/agent/index.js';
import { API_PATHS, newNonce, requestSha256, rotationPath } from '../../core/protocol/wire.js';
import { AgentKey, generateAgentKey } from '../../core/protocol/request-auth.js';
import { tempDir } from '../helpers/temp.js';
import { HttpTransport, type CycleReport, type Transport } from '../../core/agent/index.js';
import { fleetService, type FleetServer } from '../../core/fleet/index.js';
import { updateSettings } from '../../core/store/settings.js';
import { readStore } from '../../core/store/store.js';
import { fingerprintSha256, signMessage } from '../../core/trust/index.js';
import { currentSigner, makeStore, renew, startHostile, startServer, waitFor, type HostileServer } from '../fleet/helpers.js';
import { craftStatement, head, highCounter, makeIdentity, chainFiles, serveSnapshot, signedFeed, testAgent, type TestAgent } from './kit.js';

let dataDir: string;
let server: FleetServer;
let hostile: HostileServer;
let v1: Awaited<ReturnType<typeof currentSigner>>;

beforeAll(async () => {
  dataDir = await makeStore();
  server = await startServer(dataDir);
  v1 = await currentSigner(dataDir);
  hostile = await startHostile();
});

const attacked = (over: Partial<Parameters<typeof testAgent>[0]> = {}) => testAgent({ serverUrl: server.url, feedUrl: hostile.feedUrl, certificate: v1.certificate, ...over });

/** Runs a cycle (check-in, forced upload) and returns its report. */
const cycle = (a: TestAgent) => a.agent.runOnce({ checkIn: 'always', upload: 'force' });

/** The refusal happened, was logged with this reason, uploaded, and the server shows it. */
async function expectRefusedAndReported(a: TestAgent, report: CycleReport, reason: string, messageKind?: string): Promise<void> {
  const refusal = report.refused.find((r) => r.reason === reason);
  expect(refusal, `refusals: ${JSON.stringify(report.refused.map((r) => [r.messageKind, r.reason]))}`).toBeDefined();
  if (messageKind) expect(refusal!.messageKind).toBe(messageKind);
  expect(report.uploaded).toBeGreaterThanOrEqual(1);
  expect(a.storage.spool).toHaveLength(0);
  const page = await fleetService(dataDir).queryAuthFailures({ agentId: a.id, reason });
  expect(page.records.map((r) => r.id)).toContain(refusal!.id);
  expect(page.records.find((r) => r.id === refusal!.id)).toMatchObject({ agentId: a.id, reason, messageKind: refusal!.messageKind });
}

async function trusted(a: TestAgent) {
  return (await a.storage.loadTrust())!.state;
}

describe('attacks on the feed (the agent trusts version 1)', () => {
  it('a forged signature', async () => {
    const feed = await signedFeed(v1);
    const [h, p, s] = head(feed).split('.') as [string, string, string];
    const flipped = `${h}.${p}.${s[0] === 'A' ? 'B' : 'A'}${s.slice(1)}`;
    serveSnapshot(hostile, feed, { 'index.jws': flipped });
    const a = attacked();
    const report = await cycle(a);
    await expectRefusedAndReported(a, report, 'forged-signature', 'notification');
    expect((await trusted(a)).lastSeq.notification).toBeUndefined();
  });

  it('a valid signature by a key the agent does not trust (and no chain that leads to it)', async () => {
    const attacker = makeIdentity();
    serveSnapshot(hostile, await signedFeed(attacker));
    const a = attacked();
    const report = await cycle(a);
    await expectRefusedAndReported(a, report, 'untrusted-key', 'notification');
    expect(report.refused.find((r) => r.reason === 'untrusted-key')!.fingerprintSeen).toBe(attacker.fingerprintSha256);
    expect((await trusted(a)).fingerprintSha256).toBe(fingerprintSha256(v1.certificate));
  });

  it('an expired message', async () => {
    serveSnapshot(hostile, await signedFeed(v1, { now: new Date(Date.now() - 3 * 3600_000), ttlSeconds: 3600 }));
    const a = attacked();
    await expectRefusedAndReported(a, await cycle(a), 'expired', 'notification');
  });

  it('a valid header (and signature) with a swapped payload', async () => {
    const feed = await signedFeed(v1);
    const other = await signedFeed(v1, { counter: await highCounter(1_500_000_000) });
    const [h, , s] = head(feed).split('.');
    const swapped = `${h}.${head(other).split('.')[1]}.${s}`;
    serveSnapshot(hostile, feed, { 'index.jws': swapped });
    const a = attacked();
    await expectRefusedAndReported(a, await cycle(a), 'forged-signature', 'notification');
  });

  it('hotfix content whose hash does not match its manifest', async () => {
    const content = Buffer.from('the real hotfix');
    const { createHash } = await import('node:crypto');
    const sha256 = createHash('sha256').update(content).digest('hex');
    const feed = await signedFeed(v1, { content: { settings: { logUploadIntervalMinutes: 60 }, notices: [], hotfixes: [{ name: 'kb1', version: '1', file: '/nonexistent', sha256, size: content.length }] } });
    serveSnapshot(hostile, feed, { [`content/${sha256}`]: Buffer.from('the evil hotfix') });
    const a = attacked();
    const report = await cycle(a);
    await expectRefusedAndReported(a, report, 'hash-mismatch', 'hotfix-content');
    expect(a.storage.hotfixes.size).toBe(0);
    // The head was not committed: the next poll tries the hotfix again (and refuses again).
    expect((await trusted(a)).lastSeq.notification).toBeUndefined();
    hostile.set(`content/${sha256}`, { body: content });
    const fixed = await cycle(a);
    expect(fixed.refused).toEqual([]);
    expect(a.storage.hotfixes.get(sha256)?.equals(content)).toBe(true);
  });

  it('a signed document swapped for another one (the head pins each document by SHA-256)', async () => {
    const feed = await signedFeed(v1);
    const other = await signedFeed(v1);
    const settingsPath = feed.head.documents.find((d) => d.kind === 'settings')!.path;
    const otherSettings = other.files.get(other.head.documents.find((d) => d.kind === 'settings')!.path)!.body!;
    serveSnapshot(hostile, feed, { [settingsPath]: otherSettings });
    const a = attacked();
    await expectRefusedAndReported(a, await cycle(a), 'hash-mismatch', 'settings');
  });

  it('an oversized JWS (refused while reading, with or without a Content-Length)', async () => {
    serveSnapshot(hostile, await signedFeed(v1), { 'index.jws': 'A'.repeat(2 * 1024 * 1024) });
    const a = attacked();
    await expectRefusedAndReported(a, await cycle(a), 'oversized', 'notification');
    hostile.set('index.jws', { flood: true });
    const b = attacked();
    await expectRefusedAndReported(b, await cycle(b), 'oversized', 'notification');
  });

  it('a malformed JWS', async () => {
    for (const garbage of ['not a jws', 'a.b', 'eyJhbGciOiJub25lIn0.e30.', `${Buffer.from('{"alg":"PS256"').toString('base64url')}.e30.AAAA`]) {
      serveSnapshot(hostile, await signedFeed(v1), { 'index.jws': garbage });
      const a = attacked();
      const report = await cycle(a);
      expect(report.refused.length, garbage).toBe(1);
      // alg "none" is judged by its algorithm: an attempt to pass without a signature.
      await expectRefusedAndReported(a, report, garbage.startsWith('eyJhbGciOiJub25l') ? 'forged-signature' : 'malformed', 'notification');
    }
  });

  it('a server that answers slowly, or without end, does not hang the agent', async () => {
    serveSnapshot(hostile, await signedFeed(v1));
    for (const answer of [{ hang: true as const }, { drip: 50 }]) {
      hostile.set('index.jws', answer);
      // A short timeout for the mirror only: the real server's answers must not race it on a busy machine.
      const base = new HttpTransport();
      const transport: Transport = { request: (req) => base.request(String(req.url).startsWith(hostile.url) ? { ...req, timeoutMs: 400 } : req) };
      const a = attacked({ transport });
      const started = Date.now();
      const report = await cycle(a);
      // A generous ceiling, not a speed check: 50 times the mirror's 400 ms, and under the 30 s
      // a request without it would wait (5 s was too close on a busy CI machine).
      expect(Date.now() - started).toBeLessThan(20_000);
      await expectRefusedAndReported(a, report, 'timeout', 'notification');
    }
  });
});

describe('attacks on the rotation chain', () => {
  it('a rotation statement signed only by the new key', async () => {
    const attacker = makeIdentity();
    const statement = craftStatement(
      { kind: 'rotation', version: 2, previous: { fingerprintSha256: fingerprintSha256(v1.certificate), version: 1 }, next: { certificate: attacker.certificate.toString('base64'), fingerprintSha256: attacker.fingerprintSha256 }, iat: 1 },
      [attacker.privateKey].map((key) => ({ key, certificate: attacker.certificate })),
    );
    serveSnapshot(hostile, await signedFeed(attacker, { version: 2 }), chainFiles([statement]));
    const a = attacked();
    const report = await cycle(a);
    await expectRefusedAndReported(a, report, 'rotation-not-cross-signed', 'rotation');
    expect((await trusted(a)).version).toBe(1);
  });

  it('a chain that does not link to the trusted certificate', async () => {
    const attacker = makeIdentity();
    const stranger = makeIdentity('stranger');
    const statement = craftStatement(
      { kind: 'rotation', version: 2, previous: { fingerprintSha256: stranger.fingerprintSha256, version: 1 }, next: { certificate: attacker.certificate.toString('base64'), fingerprintSha256: attacker.fingerprintSha256 }, iat: 1 },
      [
        { key: stranger.privateKey, certificate: stranger.certificate },
        { key: attacker.privateKey, certificate: attacker.certificate },
      ],
    );
    // Served where the agent looks for what leads on from its own certificate.
    serveSnapshot(hostile, await signedFeed(attacker, { version: 2 }), { [rotationPath(fingerprintSha256(v1.certificate))]: statement });
    const a = attacked();
    const report = await cycle(a);
    await expectRefusedAndReported(a, report, 'chain-broken', 'rotation');
    expect(report.refused.find((r) => r.reason === 'chain-broken')!.fingerprintSeen).toBe(attacker.fingerprintSha256);
  });
});

describe('after a real renewal (the agent followed it to version 2)', () => {
  let a: TestAgent;
  let v2: Awaited<ReturnType<typeof currentSigner>>;
  let realHead: string;

  beforeAll(async () => {
    // An agent reading the real feed moves to version 2; its twin (same state) reads the hostile mirror.
    const real = testAgent({ serverUrl: server.url, certificate: v1.certificate });
    await renew(dataDir);
    v2 = await currentSigner(dataDir);
    await waitFor(() => server.snapshot().version === 2, 'the server to publish version 2');
    realHead = server.snapshot().files.get('index.jws')!.body!.toString();
    const report = await real.agent.runOnce();
    expect(report.rotatedBy).toBe(1);
    a = attacked({ storage: real.storage });
    expect((await trusted(a)).version).toBe(2);
  });

  it('a message signed by the replaced key', async () => {
    serveSnapshot(hostile, await signedFeed(v1));
    await expectRefusedAndReported(a, await cycle(a), 'replaced-key', 'notification');
    expect((await trusted(a)).fingerprintSha256).toBe(fingerprintSha256(v2.certificate));
  });

  it('a replay of an old message', async () => {
    // The server signs a newer head (a settings change); the agent takes it from the real feed...
    const before = server.snapshot().headSeq;
    await updateSettings(dataDir, { logUploadIntervalMinutes: 30 });
    await waitFor(() => server.snapshot().headSeq > before, 'a newer head');
    const twin = testAgent({ serverUrl: server.url, certificate: v1.certificate, storage: a.storage });
    expect((await twin.agent.runOnce()).refused).toEqual([]);
    // ...then the mirror replays the older head: still signed, still valid, but already superseded.
    serveSnapshot(hostile, await signedFeed(v2), { 'index.jws': realHead });
    await expectRefusedAndReported(a, await cycle(a), 'replay', 'notification');
  });

  it('a rollback to an older certificate through the chain', async () => {
    // An attacker holding both old keys names version 1's certificate as version 3.
    const real = (await readStore(dataDir))!.state.rotations;
    const back = craftStatement(
      { kind: 'rotation', version: 3, previous: { fingerprintSha256: fingerprintSha256(v2.certificate), version: 2 }, next: { certificate: v1.certificate.toString('base64'), fingerprintSha256: fingerprintSha256(v1.certificate) }, iat: 2 },
      [
        { key: v2.privateKey, certificate: v2.certificate },
        { key: v1.privateKey, certificate: v1.certificate },
      ],
    );
    // The head is signed by a key the agent does not know, so that it looks for a chain.
    serveSnapshot(hostile, await signedFeed(makeIdentity(), { version: 3, counter: await highCounter(2_000_000_000) }), chainFiles([...real, back]));
    const report = await cycle(a);
    await expectRefusedAndReported(a, report, 'rollback', 'rotation');
    expect((await trusted(a)).version).toBe(2);
    expect((await trusted(a)).fingerprintSha256).toBe(fingerprintSha256(v2.certificate));
  });
});

/** Posts `body` to the real server as the holder of `key` (which need not be the agent's). */
async function postAs(key: AgentKey, path: string, body: Record<string, unknown>): Promise<Response> {
  const text = JSON.stringify({ sentAt: new Date().toISOString(), nonce: newNonce(), ...body });
  return fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...key.headers('POST', path, requestSha256(text)) }, body: text });
}
const newKey = () => new AgentKey(createPrivateKey(generateAgentKey()));

describe('attacks on the evidence channel (check-ins and uploads, issue #11 findings 1 and 2)', () => {
  it('a check-in or upload under another agent id, unsigned or signed by another key, is refused and changes nothing', async () => {
    const victim = testAgent({ serverUrl: server.url, certificate: v1.certificate });
    await victim.agent.runOnce({ checkIn: 'always' });
    const before = server.registry.get(victim.id);
    expect(before).toBeDefined();
    const attacker = newKey();
    const checkIn = { agentId: victim.id, hostname: 'evil', agentVersion: 'x', trustedFingerprint: fingerprintSha256(v1.certificate), trustedVersion: 1 };
    const forged = await postAs(attacker, API_PATHS.checkIn, checkIn);
    expect(forged.status).toBe(401);
    expect(await forged.json()).toMatchObject({ error: { code: 'WRONG_AGENT' } });
    const unsigned = await fetch(`${server.url}${API_PATHS.checkIn}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...checkIn, nonce: newNonce(), sentAt: new Date().toISOString() }) });
    expect(unsigned.status).toBe(401);
    const record = { id: randomUUID(), time: new Date().toISOString(), messageKind: 'notification', reason: 'timeout', fingerprintSeen: null };
    expect((await postAs(attacker, API_PATHS.authFailures, { agentId: victim.id, records: [record] })).status).toBe(401);
    expect(server.registry.get(victim.id)).toEqual(before);
    expect((await fleetService(dataDir).queryAuthFailures({ agentId: victim.id })).total).toBe(0);
  });

  it('a captured signed check-in replayed, or sent to the other endpoint, is refused', async () => {
    const key = newKey();
    const text = JSON.stringify({ agentId: key.agentId, hostname: null, agentVersion: null, trustedFingerprint: fingerprintSha256(v1.certificate), trustedVersion: 1, nonce: newNonce(), sentAt: new Date().toISOString() });
    const headers = { 'content-type': 'application/json', ...key.headers('POST', API_PATHS.checkIn, requestSha256(text)) };
    expect((await fetch(`${server.url}${API_PATHS.checkIn}`, { method: 'POST', headers, body: text })).status).toBe(200);
    const again = await fetch(`${server.url}${API_PATHS.checkIn}`, { method: 'POST', headers, body: text });
    expect(again.status).toBe(401);
    expect(await again.json()).toMatchObject({ error: { code: 'REPLAYED' } });
  });

  it('record ids sent first by another agent with harmless content do not displace the genuine upload', async () => {
    // The victim trusts what the server signs with now (earlier tests renewed it).
    const current = await currentSigner(dataDir);
    const victim = attacked({ certificate: current.certificate, version: current.version });
    serveSnapshot(hostile, await signedFeed(makeIdentity()));
    await victim.agent.runOnce({ checkIn: 'always', upload: 'never' });
    const genuine = victim.storage.spool.map((r) => ({ ...r }));
    expect(genuine.length).toBeGreaterThan(0);
    // The attacker saw the ids in flight and sends them first, under its own (valid) identity.
    const attacker = newKey();
    expect((await postAs(attacker, API_PATHS.checkIn, { agentId: attacker.agentId, hostname: null, agentVersion: null, trustedFingerprint: '', trustedVersion: 0 })).status).toBe(200);
    const harmless = genuine.map((r) => ({ id: r.id, time: r.time, messageKind: r.messageKind, reason: 'timeout', fingerprintSeen: null }));
    expect((await postAs(attacker, API_PATHS.authFailures, { agentId: attacker.agentId, records: harmless })).status).toBe(200);
    const report = await cycle(victim);
    expect(report.uploaded).toBeGreaterThanOrEqual(genuine.length);
    expect(victim.storage.spool).toHaveLength(0);
    const stored = (await fleetService(dataDir).queryAuthFailures({ agentId: victim.id, limit: 500 })).records;
    for (const r of genuine) expect(stored.find((s) => s.id === r.id)).toMatchObject({ agentId: victim.id, reason: r.reason });
  });

  it("a record dated 9999-12-31 does not pin the agent's last failure past the server's clock", async () => {
    const key = newKey();
    expect((await postAs(key, API_PATHS.checkIn, { agentId: key.agentId, hostname: null, agentVersion: null, trustedFingerprint: '', trustedVersion: 0 })).status).toBe(200);
    const record = { id: randomUUID(), time: '9999-12-31T00:00:00.000Z', messageKind: 'notification', reason: 'forged-signature', fingerprintSeen: null };
    expect((await postAs(key, API_PATHS.authFailures, { agentId: key.agentId, records: [record] })).status).toBe(200);
    expect(Date.parse(server.registry.get(key.agentId)!.lastFailureAt!)).toBeLessThanOrEqual(Date.now());
    // A later failure is the agent's last one, and comes first on the log screen (newest first).
    const later = { id: randomUUID(), time: new Date().toISOString(), messageKind: 'notification', reason: 'replay', fingerprintSeen: null };
    expect((await postAs(key, API_PATHS.authFailures, { agentId: key.agentId, records: [later] })).status).toBe(200);
    expect(server.registry.get(key.agentId)).toMatchObject({ lastFailureReason: 'replay', lastFailureAt: later.time });
    const page = await fleetService(dataDir).queryAuthFailures({ agentId: key.agentId });
    expect(page.records.map((r) => r.id)).toEqual([later.id, record.id]);
  });

  it("40 uploads under a victim's id do not use up its quota: its genuine upload is still acknowledged", async () => {
    const victim = attacked({ feedUrl: server.feedUrl, certificate: (await currentSigner(dataDir)).certificate, version: (await currentSigner(dataDir)).version });
    await victim.agent.runOnce({ checkIn: 'always', upload: 'never' });
    const attacker = newKey();
    const junk = () => Array.from({ length: 500 }, () => ({ id: randomUUID(), time: new Date().toISOString(), messageKind: 'notification', reason: 'timeout', fingerprintSeen: null }));
    for (let i = 0; i < 40; i++) expect((await postAs(attacker, API_PATHS.authFailures, { agentId: victim.id, records: junk() })).status).toBe(401);
    victim.storage.spool.push({ id: randomUUID(), agentId: victim.id, time: new Date().toISOString(), messageKind: 'notification', reason: 'forged-signature', fingerprintSeen: null });
    const report = await cycle(victim);
    expect(report.offline).toBe(false);
    expect(report.uploaded).toBe(1);
    expect(victim.storage.spool).toHaveLength(0);
    expect((await fleetService(dataDir).queryAuthFailures({ agentId: victim.id })).records.map((r) => r.reason)).toEqual(['forged-signature']);
  });

  it('a record the server holds with other content under its id stays in the spool until that content is acknowledged', async () => {
    const current = await currentSigner(dataDir);
    const victim = attacked({ feedUrl: server.feedUrl, certificate: current.certificate, version: current.version });
    await victim.agent.runOnce({ checkIn: 'always', upload: 'never' });
    const genuine = { id: randomUUID(), agentId: victim.id, time: new Date().toISOString(), messageKind: 'notification', reason: 'forged-signature', fingerprintSeen: 'ab'.repeat(32) };
    victim.storage.spool.push(genuine);
    // Other content got there first under the same id and the agent's own key (a stolen key, or
    // an earlier run of this agent): the server answers "duplicate" and names what it holds.
    const ownKey = new AgentKey(createPrivateKey(victim.storage.agentKey!));
    expect((await postAs(ownKey, API_PATHS.authFailures, { agentId: victim.id, records: [{ ...genuine, agentId: undefined, reason: 'timeout', fingerprintSeen: null }] })).status).toBe(200);
    // Not forgotten as a "duplicate": spooled again under a new id, and delivered by the next batch.
    expect((await cycle(victim)).uploaded).toBe(1);
    expect(victim.storage.spool).toHaveLength(0);
    const stored = (await fleetService(dataDir).queryAuthFailures({ agentId: victim.id })).records;
    expect(stored.map((r) => r.reason).sort()).toEqual(['forged-signature', 'timeout']);
    expect(stored.find((r) => r.reason === 'forged-signature')!.detail).toContain(genuine.id);
  });

  it('an agent with no key yet makes one, admin-only, and its id is the hash of the key; it survives agent.json being deleted', async () => {
    const dir = await tempDir();
    const a = new Agent({ serverUrl: server.url, storage: new FileAgentStorage(dir) });
    const id = await a.agentId();
    const pem = await readFile(join(dir, 'agent-key.pem'), 'utf8');
    expect(id).toBe(new AgentKey(createPrivateKey(pem)).agentId);
    expect((await stat(join(dir, 'agent-key.pem'))).mode & 0o077).toBe(0);
    await rm(join(dir, 'agent.json'));
    expect(await new Agent({ serverUrl: server.url, storage: new FileAgentStorage(dir) }).agentId()).toBe(id);
    // Re-installed (a new state folder): a new key, so a new agent; the old one goes stale.
    expect(await new Agent({ serverUrl: server.url, storage: new FileAgentStorage(await tempDir()) }).agentId()).not.toBe(id);
  });
});

describe('a key compromised, then replaced (issue #11 finding 4)', () => {
  it('a message at seq 2^53-1 signed with the then-current key binds nothing after the genuine renewal; no import-cert needed', async () => {
    const dir = await makeStore();
    const srv = await startServer(dir);
    const stolen = await currentSigner(dir);
    // The attacker holds the current key and signs a head at the highest seq there is.
    const poisoned = await signMessage(stolen, {
      kind: 'notification',
      seq: Number.MAX_SAFE_INTEGER,
      payload: { format: 'cm-feed/1', publishedAt: new Date().toISOString(), certificate: { version: 1, fingerprintSha256: fingerprintSha256(stolen.certificate) }, documents: [], notices: [] },
    });
    const mirror = await startHostile();
    mirror.set('index.jws', { body: poisoned });
    const victim = testAgent({ serverUrl: srv.url, feedUrl: mirror.feedUrl, certificate: stolen.certificate });
    expect((await victim.agent.runOnce()).refused).toEqual([]);
    expect((await trusted(victim)).lastSeq.notification).toBe(Number.MAX_SAFE_INTEGER);

    // The admin renews (the recovery the compromise calls for); the agent reads the real feed again.
    await renew(dir);
    const next = await currentSigner(dir);
    await waitFor(() => srv.snapshot().version === 2, 'version 2');
    const recovered = testAgent({ serverUrl: srv.url, certificate: stolen.certificate, storage: victim.storage });
    const report = await recovered.agent.runOnce({ checkIn: 'always' });
    expect(report.refused).toEqual([]);
    expect(report.rotatedBy).toBe(1);
    expect(report.checkedIn).toBe(true);
    const after = await trusted(recovered);
    expect(after.fingerprintSha256).toBe(fingerprintSha256(next.certificate));
    expect(after.lastSeq.notification).toBe(srv.snapshot().headSeq);
    // And the stolen key is now a replaced key: the poisoned head itself is refused as such.
    mirror.set('index.jws', { body: poisoned });
    const again = testAgent({ serverUrl: srv.url, feedUrl: mirror.feedUrl, certificate: stolen.certificate, storage: victim.storage });
    expect((await again.agent.runOnce()).refused.map((r) => r.reason)).toEqual(['replaced-key']);
    await mirror.close();
  });
});
