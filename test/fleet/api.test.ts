/**
 * The agent API of `serve`: check-ins and auth-failure uploads. Validation and size bounds,
 * signed answers bound to the request, idempotent uploads (also across a restart and after a
 * torn write), one server per data folder.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { appendFile, readFile } from 'node:fs/promises';
import { createHash, createPrivateKey, randomUUID } from 'node:crypto';
import { API_PATHS, CheckInResponseSchema, LIMITS, UploadAckSchema, fleetPaths, fleetService, newNonce, startFleetServer, type FleetServer } from '../../core/fleet/index.js';
import { recordSha256 } from '../../core/protocol/wire.js';
import { createTrustState, verifyMessage, fingerprintSha256 } from '../../core/trust/index.js';
import { readStore } from '../../core/store/store.js';
import { AgentKey, generateAgentKey } from '../../core/protocol/request-auth.js';
import { makeStore, startServer, waitFor } from './helpers.js';

let dataDir: string;
let server: FleetServer;
let cert: Buffer;

beforeAll(async () => {
  dataDir = await makeStore();
  cert = Buffer.from((await readStore(dataDir))!.state.current.certificateDer, 'base64');
  server = await startServer(dataDir);
});

/** One key per agent name used in these tests; the agent id is the key's (core/protocol/request-auth.ts). */
const keys = new Map<string, AgentKey>();
const keyOf = (name: string) => keys.get(name) ?? keys.set(name, new AgentKey(createPrivateKey(generateAgentKey()))).get(name)!;
const id = (name: string) => keyOf(name).agentId;

/**
 * Posts as an agent: an object body with a test agent name gets that agent's id and the time,
 * and is signed with its key. Bodies the schema must refuse are sent as they are.
 */
const postTo = (base: string, path: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) => {
  let text = typeof body === 'string' ? body : JSON.stringify(body);
  let auth: Record<string, string> = {};
  const name = typeof body === 'object' && body !== null ? (body as { agentId?: unknown }).agentId : undefined;
  if (typeof name === 'string' && /^[a-z0-9-]{1,40}$/.test(name)) {
    text = JSON.stringify({ sentAt: new Date().toISOString(), ...(body as object), agentId: id(name) });
    auth = keyOf(name).headers('POST', path, createHash('sha256').update(text).digest('hex'));
  }
  return fetch(`${base}${path}`, { method: 'POST', headers: { ...headers, ...auth }, body: text });
};
const post = (path: string, body: unknown, headers?: Record<string, string>) => postTo(server.url, path, body, headers);

const checkIn = (over: Record<string, unknown> = {}) =>
  post(API_PATHS.checkIn, { agentId: 'agent-1', hostname: 'pc1', agentVersion: '1.0', trustedFingerprint: fingerprintSha256(cert), trustedVersion: 1, nonce: newNonce(), ...over });

const record = (over: Record<string, unknown> = {}) => ({
  id: randomUUID(),
  time: new Date().toISOString(),
  messageKind: 'notification',
  reason: 'forged-signature',
  fingerprintSeen: null,
  detail: 'test',
  ...over,
});

describe('check-in', () => {
  it('answers with a signed endpoint-response bound to the request (agent id and nonce)', async () => {
    const nonce = newNonce();
    const body = JSON.stringify({ agentId: id('agent-1'), hostname: 'pc1', agentVersion: '1.0', trustedFingerprint: fingerprintSha256(cert), trustedVersion: 1, nonce, sentAt: new Date().toISOString() });
    const res = await fetch(`${server.url}${API_PATHS.checkIn}`, { method: 'POST', headers: { 'content-type': 'application/json', ...keyOf('agent-1').headers('POST', API_PATHS.checkIn, createHash('sha256').update(body).digest('hex')) }, body });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/jose');
    const message = await verifyMessage(await res.text(), createTrustState(cert), { kinds: ['endpoint-response'] });
    // requestSha256: the body byte for byte, so an agent can tell that nobody rewrote it on the way.
    expect(CheckInResponseSchema.parse(message.body)).toEqual({
      type: 'check-in',
      agentId: id('agent-1'),
      nonce,
      certificate: { version: 1, fingerprintSha256: fingerprintSha256(cert) },
      trusted: true,
      requestSha256: createHash('sha256').update(body).digest('hex'),
    });
    expect(message.exp - message.iat).toBe(300);
    expect(server.registry.get(id('agent-1'))).toMatchObject({ hostname: 'pc1', trustedFingerprint: fingerprintSha256(cert), agentVersion: '1.0' });
  });

  it('records what the agent trusts, even when it is not the current certificate', async () => {
    const res = await checkIn({ agentId: 'stale-1', trustedFingerprint: 'ab'.repeat(32) });
    const message = await verifyMessage(await res.text(), createTrustState(cert));
    expect((message.body as { trusted: boolean }).trusted).toBe(false);
    await waitFor(async () => (await fleetService(dataDir).clientsWithoutValidCertificate({ offset: 0, limit: 10 })).agents.some((a) => a.agentId === id('stale-1')), 'agents.json to be written');
  });

  it('refuses what it does not understand: 400, JSON error, nothing recorded', async () => {
    for (const bad of [
      { agentId: '' },
      { agentId: 'has space' },
      { agentId: 'x'.repeat(129) },
      { trustedFingerprint: 'ABC' },
      { nonce: 'short' },
      { trustedVersion: -1 },
      { extra: 'field' },
    ]) {
      const res = await checkIn({ agentId: 'bad-agent', ...bad });
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BAD_REQUEST');
    }
    expect(server.registry.has(id('bad-agent'))).toBe(false);
    expect((await post(API_PATHS.checkIn, '{not json')).status).toBe(400);
  });

  it('bounds the body (413) and the media type (415)', async () => {
    expect((await checkIn({ hostname: 'h'.repeat(5000) })).status).toBe(413);
    expect((await post(API_PATHS.checkIn, 'agentId=x', { 'content-type': 'application/x-www-form-urlencoded' })).status).toBe(415);
  });

  it('refuses a 1 MB deeply nested body before parsing it (400 TOO_DEEP), and goes on serving', async () => {
    const deep = await post(API_PATHS.authFailures, '['.repeat(500_000) + ']'.repeat(500_000));
    expect(deep.status).toBe(400);
    expect(await deep.json()).toMatchObject({ error: { code: 'TOO_DEEP' } });
    expect((await fetch(`${server.url}/feed/index.jws`)).status).toBe(200);
  });
});

describe('auth-failure uploads', () => {
  const upload = (records: unknown[], agentId = 'uploader', nonce = newNonce()) => post(API_PATHS.authFailures, { agentId, nonce, records });
  const ackOf = async (res: Response) => UploadAckSchema.parse((await verifyMessage(await res.text(), createTrustState(cert), { kinds: ['endpoint-response'] })).body);

  it('stores a batch, acknowledges every id in a signed answer, and counts a record sent twice once', async () => {
    await checkIn({ agentId: 'uploader' });
    const batch = [record(), record({ reason: 'replay' })];
    const nonce = newNonce();
    const first = await ackOf(await upload(batch, 'uploader', nonce));
    expect(first).toMatchObject({ type: 'auth-failure-ack', agentId: id('uploader'), nonce, accepted: 2, duplicates: 0 });
    // One content hash per record sent, in the request's order: what the server holds under its id.
    expect(first.stored).toEqual(batch.map((r) => recordSha256({ ...r, agentId: id('uploader') })));
    const other = record({ id: batch[0]!.id, reason: 'timeout' });
    const again = await ackOf(await upload([...batch, other]));
    expect(again).toMatchObject({ accepted: 0, duplicates: 3 });
    // The third record reused the first one's id with other content: the ack names what is held
    // (the first content), so its sender can tell its own record is not the one stored.
    expect(again.stored[2]).toBe(recordSha256({ ...batch[0]!, agentId: id('uploader') }));
    expect(again.stored[2]).not.toBe(recordSha256({ ...other, agentId: id('uploader') }));
    const page = await fleetService(dataDir).queryAuthFailures({ agentId: id('uploader') });
    expect(page.total).toBe(2);
    expect(page.records.every((r) => r.agentId === id('uploader'))).toBe(true);
    // The agent's record shows its latest failure.
    expect(server.registry.get(id('uploader'))?.lastFailureReason).toBeTruthy();
  });

  it('keeps nothing for an agent that never checked in, and bounds what one agent can store', async () => {
    const stranger = await upload([record()], 'never-checked-in');
    expect(stranger.status).toBe(403);
    expect(await stranger.json()).toMatchObject({ error: { code: 'UNKNOWN_AGENT' } });
    expect((await fleetService(dataDir).queryAuthFailures({ agentId: id('never-checked-in') })).total).toBe(0);
    // A flood from one (checked-in) agent stops at its share; the records already stored stay.
    await checkIn({ agentId: 'flooder' });
    let refused: Response | null = null;
    for (let sent = 0; sent <= LIMITS.storedRecordsPerAgent && !refused; sent += 500) {
      const res = await upload(Array.from({ length: 500 }, () => record({ detail: 'x' })), 'flooder');
      if (res.status !== 200) refused = res;
    }
    expect(refused?.status).toBe(429);
    expect((await fleetService(dataDir).queryAuthFailures({ agentId: id('flooder'), limit: 1 })).total).toBe(LIMITS.storedRecordsPerAgent);
  }, 60_000);

  it('bounds the batch (1 to 500 records) and refuses records of another agent', async () => {
    expect((await upload([])).status).toBe(400);
    expect((await upload(Array.from({ length: 501 }, () => record()))).status).toBe(400);
    expect((await upload([record({ agentId: 'someone-else' })])).status).toBe(400);
    expect((await upload([record({ reason: 'r'.repeat(65) })])).status).toBe(400);
    expect((await upload([record({ time: 'yesterday' })])).status).toBe(400);
    expect((await upload(Array.from({ length: 500 }, () => record()))).status).toBe(200);
  });

  it('dedupes across a restart, and cuts a line torn by a crash so the next batch is not glued to it', async () => {
    const dir = await makeStore();
    const first = await startFleetServer({ dataDir: dir, storePollMs: 50 });
    const checkInTo = (url: string) => postTo(url, API_PATHS.checkIn, { agentId: 'a', hostname: 'pc', agentVersion: '1', trustedFingerprint: 'ab'.repeat(32), trustedVersion: 1, nonce: newNonce() });
    await checkInTo(first.url);
    const r1 = record();
    await postTo(first.url, API_PATHS.authFailures, { agentId: 'a', nonce: newNonce(), records: [r1] });
    await first.close();
    await appendFile(fleetPaths(dir).authFailures, `{"id":"torn","agentId":"${id('a')}","ti`);
    const second = await startFleetServer({ dataDir: dir, storePollMs: 50 });
    try {
      const r2 = record();
      const res = await postTo(second.url, API_PATHS.authFailures, { agentId: 'a', nonce: newNonce(), records: [r1, r2] });
      const ack = UploadAckSchema.parse((await verifyMessage(await res.text(), createTrustState(Buffer.from((await readStore(dir))!.state.current.certificateDer, 'base64')))).body);
      expect(ack).toMatchObject({ accepted: 1, duplicates: 1 });
      const lines = (await readFile(fleetPaths(dir).authFailures, 'utf8')).trim().split('\n');
      expect(lines.map((l) => JSON.parse(l).id)).toEqual([r1.id, r2.id]);
    } finally {
      await second.close();
    }
  });
});

describe('one server per data folder', () => {
  it('a second serve on the same folder is refused (wrong state), the first keeps serving', async () => {
    await expect(startFleetServer({ dataDir, port: 0 })).rejects.toMatchObject({ kind: 'wrong-state', code: 'SERVE_RUNNING' });
    expect((await checkIn({ agentId: 'still-there' })).status).toBe(200);
  });

  it('no certificate yet: serve refuses (wrong state)', async () => {
    const { tempDir } = await import('../helpers/temp.js');
    await expect(startFleetServer({ dataDir: await tempDir() })).rejects.toMatchObject({ kind: 'wrong-state', code: 'NO_CERTIFICATE' });
  });
});
