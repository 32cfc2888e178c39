/**
 * The signed feed: its layout, what each file holds and that core/trust's own verifier (not
 * the agent's) accepts it; the static copy for a web server or CDN; re-signing on renewal,
 * on a settings change and before expiry; the one signing counter that never goes back.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { mkdir, readFile, readdir, rename, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  FEED_FILES,
  FeedHeadSchema,
  RotationsDocumentSchema,
  SequenceCounter,
  sequenceTimeFloor,
  fleetPaths,
  loadFeedContent,
  LIMITS,
  publishFeed,
  type FleetServer,
} from '../../core/fleet/index.js';
import { createTrustState, followRotations, verifyMessage, checkContent, fingerprintSha256 } from '../../core/trust/index.js';
import { updateSettings } from '../../core/store/settings.js';
import { readStore } from '../../core/store/store.js';
import { tempDir } from '../helpers/temp.js';
import { currentFingerprint, fetchBytes, makeStore, renew, startServer, waitFor } from './helpers.js';

let dataDir: string;
let server: FleetServer;
let v1: Buffer;

beforeAll(async () => {
  dataDir = await makeStore();
  // A hotfix and a notice, as an admin would drop them into <data>/fleet.
  const paths = fleetPaths(dataDir);
  await mkdir(paths.hotfixFiles, { recursive: true });
  await writeFile(join(paths.hotfixFiles, 'fix-1.bin'), Buffer.from('hotfix one'));
  await writeFile(paths.hotfixes, JSON.stringify({ hotfixes: [{ name: 'fix', version: '1', file: 'fix-1.bin' }] }));
  await writeFile(paths.notices, JSON.stringify({ notices: [{ id: 'n1', time: '2030-01-01T00:00:00Z', text: 'Maintenance tonight' }] }));
  v1 = Buffer.from((await readStore(dataDir))!.state.current.certificateDer, 'base64');
  server = await startServer(dataDir);
});

const get = (path: string) => fetchBytes(`${server.feedUrl}${path}`);

describe('the feed is plain GETs of static paths', () => {
  it('index.jws is a notification signed by the current certificate, naming it and every document', async () => {
    const res = await fetch(`${server.feedUrl}${FEED_FILES.head}`);
    expect(res.headers.get('content-type')).toBe('application/jose');
    expect(res.headers.get('cache-control')).toBe('no-cache');
    const trust = createTrustState(v1);
    const head = await verifyMessage(await res.text(), trust, { kinds: ['notification'] });
    const body = FeedHeadSchema.parse(head.body);
    expect(body.certificate).toEqual({ version: 1, fingerprintSha256: fingerprintSha256(v1) });
    expect(body.notices).toEqual([{ id: 'n1', time: '2030-01-01T00:00:00Z', text: 'Maintenance tonight' }]);
    expect(body.documents.map((d) => d.kind).sort()).toEqual(['hotfix-manifest', 'settings']);
    // Documents take their numbers before the head that names them.
    for (const doc of body.documents) expect(doc.seq).toBeLessThan(head.seq);
  });

  it('each document matches the SHA-256 and size the head names, and verifies as its kind', async () => {
    const trust = createTrustState(v1);
    const head = FeedHeadSchema.parse((await verifyMessage(await get(FEED_FILES.head), trust)).body);
    for (const doc of head.documents) {
      const bytes = await get(doc.path);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(doc.sha256);
      expect(bytes.length).toBe(doc.size);
      const message = await verifyMessage(bytes, trust, { kinds: [doc.kind] });
      expect(message.seq).toBe(doc.seq);
      if (doc.kind === 'settings') expect(message.body).toEqual({ logUploadIntervalMinutes: 60 });
      if (doc.kind === 'hotfix-manifest') {
        const manifest = message.body as { url: string; name: string };
        expect(manifest.name).toBe('fix');
        // The content URL is relative to index.jws, so any mirror can serve the same bytes.
        const content = await fetchBytes(new URL(manifest.url, `${server.feedUrl}${FEED_FILES.head}`).href);
        expect(checkContent(manifest, content).name).toBe('fix');
      }
    }
  });

  it('rotations.json and certificate.cer', async () => {
    expect(RotationsDocumentSchema.parse(JSON.parse((await get(FEED_FILES.rotations)).toString()))).toEqual({ format: 'cm-rotations/1', statements: [] });
    expect((await get(FEED_FILES.certificate)).equals(v1)).toBe(true);
  });

  it('anything else is 404 with a JSON error; no directory listing, no traversal', async () => {
    for (const path of ['', 'documents/', '../CURRENT', '%2e%2e/CURRENT', 'documents/../index.jws.bak']) {
      const res = await fetch(`${server.feedUrl}${path}`);
      expect(res.status, path).toBe(404);
    }
  });
});

describe('publishing to a folder (IIS, nginx, a CDN)', () => {
  it('publishFeed writes the same layout; the head is written last and verifies', async () => {
    const out = join(await tempDir(), 'www');
    const snapshot = await publishFeed(dataDir, out);
    expect((await readdir(out)).sort()).toEqual(['certificate.cer', 'content', 'documents', 'index.jws', 'rotations.json']);
    for (const [path, file] of snapshot.files) expect(createHash('sha256').update(await readFile(join(out, path))).digest('hex'), path).toBe(file.sha256);
    await verifyMessage(await readFile(join(out, 'index.jws')), createTrustState(v1));
  });

  it('serve --publish keeps the folder in step with what it serves', async () => {
    const out = join(await tempDir(), 'mirror');
    const mirrored = await startServer(await makeStore(), { publishDir: out });
    expect((await readFile(join(out, FEED_FILES.head))).equals(await fetchBytes(`${mirrored.feedUrl}${FEED_FILES.head}`))).toBe(true);
    await renew(mirrored.dataDir);
    await waitFor(async () => (await readFile(join(out, FEED_FILES.head))).equals(await fetchBytes(`${mirrored.feedUrl}${FEED_FILES.head}`)) && mirrored.snapshot().version === 2, 'the mirror to follow the renewal');
    const statements = JSON.parse(await readFile(join(out, FEED_FILES.rotations), 'utf8')).statements;
    expect(statements).toHaveLength(1);
  });
});

describe('re-signing while serving', () => {
  it('a renewal by another program is picked up without a restart: new key, chain grows, seq goes on', async () => {
    const before = server.snapshot();
    await renew(dataDir);
    const after = await waitFor(() => (server.snapshot().version === 2 ? server.snapshot() : null), 'the server to pick up the renewal');
    expect(after.fingerprintSha256).not.toBe(before.fingerprintSha256);
    expect(after.headSeq).toBeGreaterThan(before.headSeq);
    // An agent that trusted v1 walks the served chain and then verifies the new head.
    const rotations = RotationsDocumentSchema.parse(JSON.parse((await get(FEED_FILES.rotations)).toString()));
    const moved = await followRotations(createTrustState(v1), rotations.statements.map((s) => JSON.stringify(s)));
    expect(moved.version).toBe(2);
    await verifyMessage(await get(FEED_FILES.head), moved);
    // The old head is refused by the moved agent as signed by a replaced key.
    await expect(verifyMessage(before.files.get(FEED_FILES.head)!.body!, moved)).rejects.toMatchObject({ reason: 'replaced-key' });
  });

  it('a settings change is signed and served', async () => {
    const before = server.snapshot().headSeq;
    await updateSettings(dataDir, { logUploadIntervalMinutes: 15 });
    await waitFor(() => server.snapshot().headSeq > before, 'the settings to be published');
    const head = FeedHeadSchema.parse((await verifyMessage(await get(FEED_FILES.head), { ...createTrustState(Buffer.from((await readStore(dataDir))!.state.current.certificateDer, 'base64')) })).body);
    const settings = head.documents.find((d) => d.kind === 'settings')!;
    expect(JSON.parse(Buffer.from((await get(settings.path)).toString().split('.')[1]!, 'base64url').toString()).body).toEqual({ logUploadIntervalMinutes: 15 });
  });

  it('a poll() that queues behind one under way (the timer\'s) returns only once the renewal it found is served', async () => {
    const store = await makeStore();
    const quiet = await startServer(store, { storePollMs: 1e9 }); // no timer: the interleaving is ours
    await renew(store);
    const renewed = await currentFingerprint(store);
    const underWay = quiet.poll(); // what the timer does
    await quiet.poll(); // what a caller does
    expect(quiet.snapshot().fingerprintSha256).toBe(renewed);
    await underWay;
    expect(quiet.snapshot().fingerprintSha256).toBe(renewed);
  });

  it('a publication that fails (its signing numbers cannot be reserved) is tried again at the next poll', async () => {
    const store = await makeStore();
    const server = await startServer(store, { storePollMs: 1e9, sequenceBlock: 1 }); // every signature reserves on disk
    await renew(store);
    const renewed = await currentFingerprint(store);
    const sequence = join(store, 'fleet', 'sequence.json');
    await rename(sequence, `${sequence}.away`);
    await mkdir(sequence); // the high-water mark cannot be read or written
    await expect(server.poll()).rejects.toThrow();
    expect(server.snapshot().fingerprintSha256).not.toBe(renewed);
    await rm(sequence, { recursive: true });
    await rename(`${sequence}.away`, sequence);
    await server.poll();
    expect(server.snapshot().fingerprintSha256).toBe(renewed);
  });

  it('the feed is signed again before it expires', async () => {
    let now = Date.now();
    const short = await startServer(await makeStore(), { ttlSeconds: 100, now: () => new Date(now) });
    const first = short.snapshot();
    // exp is in whole seconds, like every claim.
    expect(first.expiresAt.getTime() - first.publishedAt.getTime()).toBeGreaterThan(99_000);
    expect(first.expiresAt.getTime() - first.publishedAt.getTime()).toBeLessThanOrEqual(100_000);
    now += 49_000;
    await short.poll();
    expect(short.snapshot().headSeq).toBe(first.headSeq);
    now += 2_000;
    await short.poll();
    expect(short.snapshot().headSeq).toBeGreaterThan(first.headSeq);
  });
});

describe('what the admin publishes', () => {
  it('a hotfix larger than agents take is left out with a warning; the others are published', async () => {
    const dir = await makeStore();
    const paths = fleetPaths(dir);
    await mkdir(paths.hotfixFiles, { recursive: true });
    await writeFile(join(paths.hotfixFiles, 'small.bin'), 'small fix');
    // Sparse: 1 byte over the agents' limit without writing 64 MiB.
    await writeFile(join(paths.hotfixFiles, 'huge.bin'), '');
    await truncate(join(paths.hotfixFiles, 'huge.bin'), LIMITS.hotfixBytes + 1);
    await writeFile(paths.hotfixes, JSON.stringify({ hotfixes: [{ name: 'huge', version: '1', file: 'huge.bin' }, { name: 'small', version: '1', file: 'small.bin' }] }));
    const warnings: string[] = [];
    const content = await loadFeedContent(dir, (w) => warnings.push(w));
    expect(content.hotfixes.map((h) => h.name)).toEqual(['small']);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/huge 1 .* more than the \d+ agents take; it was left out/);
  });
});

describe('the signing counter', () => {
  it('is one counter for all kinds, persisted, and never handed out twice across restarts and processes', async () => {
    const file = join(await tempDir(), 'sequence.json');
    const a = new SequenceCounter(file, 10);
    const b = new SequenceCounter(file, 10);
    const taken: number[] = [];
    await Promise.all(Array.from({ length: 50 }, async (_, i) => taken.push(await (i % 2 ? a : b).take())));
    expect(new Set(taken).size).toBe(50);
    // A "restart": a new counter starts above everything reserved before.
    const c = new SequenceCounter(file, 10);
    expect(await c.take()).toBeGreaterThan(Math.max(...taken));
    expect(JSON.parse(await readFile(file, 'utf8')).reservedUpTo).toBeGreaterThan(Math.max(...taken));
  });

  it('starts no lower than its clock, and a clock that goes back never lowers it', async () => {
    const at = Date.UTC(2031, 0, 1);
    let clock = at;
    const file = join(await tempDir(), 'sequence.json');
    // No file at all: a new machine set up from a backup. It starts above the old one's numbers.
    const fresh = new SequenceCounter(file, 10, () => clock);
    const first = await fresh.take();
    expect(first).toBe(sequenceTimeFloor(at));
    clock = at - 3_600_000;
    const again = new SequenceCounter(file, 10, () => clock);
    expect(await again.take()).toBeGreaterThan(first);
    // Ten numbers later the block runs out; the next block starts at the (later) clock.
    clock = at + 60_000;
    for (let i = 0; i < 10; i++) await fresh.take();
    expect(await fresh.take()).toBeGreaterThanOrEqual(sequenceTimeFloor(at + 60_000));
    // A clock absurdly far ahead cannot push numbers past 2^53 without saying so.
    const broken = new SequenceCounter(join(await tempDir(), 'sequence.json'), 10, () => 9.1e12);
    await expect(broken.take()).rejects.toMatchObject({ code: 'SEQUENCE_EXHAUSTED' });
  });

  it('a damaged counter stops signing instead of starting again at zero', async () => {
    const file = join(await tempDir(), 'sequence.json');
    await writeFile(file, 'garbage');
    await expect(new SequenceCounter(file).take()).rejects.toMatchObject({ code: 'SEQUENCE_DAMAGED' });
  });

  it('a restarted server goes on from where the last one stopped', async () => {
    const dir = await makeStore();
    const first = await startServer(dir);
    const seq = first.snapshot().headSeq;
    await first.close();
    const second = await startServer(dir);
    expect(second.snapshot().headSeq).toBeGreaterThan(seq);
  });
});
