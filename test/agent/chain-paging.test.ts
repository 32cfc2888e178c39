/**
 * Any number of renewals (issue #11, finding 8): the chain is served one statement per file,
 * named by the certificate it leads away from, so an agent fetches only the renewals it missed
 * however long the history is; rotations.json (for older agents) is kept within its 4 MiB.
 * A chain of 2,000 statements: the newest ten are real renewals, the rest only have to look real
 * (no agent here walks them, and the server never verifies what it serves).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { buildFeed, writeFeed, type FeedSnapshot } from '../../core/fleet/feed.js';
import { FEED_FILES, LIMITS, RotationsDocumentSchema, rotationPath } from '../../core/protocol/wire.js';
import { createSelfSignedCertificate } from '../../core/pki/certificate.js';
import { createRotationStatement, fingerprintSha256, parseRotationStatement, type Signer } from '../../core/trust/index.js';
import { tempDir } from '../helpers/temp.js';
import { startHostile, startServer, makeStore, type HostileServer } from '../fleet/helpers.js';
import { chainFiles, highCounter, NO_CONTENT, serveSnapshot, testAgent } from './kit.js';
import { testPrivateKey } from '../helpers/test-keys.js';

const TOTAL = 2000;
const REAL = 10;

const signer = (name: string): Signer => {
  const privateKey = testPrivateKey();
  return { privateKey, certificate: createSelfSignedCertificate({ privateKey, commonName: name, validityDays: 30, now: new Date() }) };
};

/** A statement that parses like a real one (the size of one, too) but whose signatures are noise. */
function lookalike(version: number, previous: string, next: string, certificate: Buffer): string {
  const payload = { kind: 'rotation', version, previous: { fingerprintSha256: previous, version: version - 1 }, next: { certificate: certificate.toString('base64'), fingerprintSha256: next }, iat: 1_700_000_000 + version };
  const header = Buffer.from(JSON.stringify({ alg: 'PS256', typ: 'cm-rotation+jws', 'x5t#S256': randomBytes(32).toString('base64url') })).toString('base64url');
  const signature = () => ({ protected: header, signature: randomBytes(256).toString('base64url') });
  return JSON.stringify({ payload: Buffer.from(JSON.stringify(payload)).toString('base64url'), signatures: [signature(), signature()] });
}

let signers: Signer[]; // versions TOTAL-REAL .. TOTAL
let statements: string[];
let feed: FeedSnapshot;

beforeAll(async () => {
  signers = Array.from({ length: REAL + 1 }, (_, i) => signer(`v${TOTAL - REAL + i}`));
  const fps = signers.map((s) => fingerprintSha256(s.certificate));
  statements = [];
  let previous = randomBytes(32).toString('hex');
  for (let version = 2; version <= TOTAL - REAL; version++) {
    const next = version === TOTAL - REAL ? fps[0]! : randomBytes(32).toString('hex');
    statements.push(lookalike(version, previous, next, signers[0]!.certificate));
    previous = next;
  }
  for (let i = 1; i <= REAL; i++) statements.push(await createRotationStatement(signers[i - 1]!, signers[i]!, { version: TOTAL - REAL + i }));
  expect(statements).toHaveLength(TOTAL - 1);
  const last = signers.at(-1)!;
  feed = await buildFeed({
    identity: { generation: 1, version: TOTAL, certificate: last.certificate, fingerprintSha256: fps.at(-1)!, privateKey: last.privateKey, rotations: statements },
    content: NO_CONTENT,
    counter: await highCounter(),
  });
}, 60_000);

describe('the server serves a long chain', () => {
  it('one file per statement, named by the certificate it leads away from', () => {
    for (const statement of [statements[0]!, statements[999]!, statements.at(-1)!]) {
      const path = rotationPath(parseRotationStatement(statement).payload.previous.fingerprintSha256);
      expect(feed.files.get(path)!.body!.toString()).toBe(statement);
    }
    expect([...feed.files.keys()].filter((p) => p.startsWith('rotations/'))).toHaveLength(TOTAL - 1);
  });

  it('rotations.json stays within 4 MiB and keeps the newest statements, in order', () => {
    const body = feed.files.get(FEED_FILES.rotations)!.body!;
    const whole = statements.reduce((n, s) => n + s.length, 0);
    expect(whole).toBeGreaterThan(LIMITS.rotationsBytes); // the history itself would not fit
    expect(body.length).toBeLessThanOrEqual(LIMITS.rotationsBytes);
    const kept = RotationsDocumentSchema.parse(JSON.parse(body.toString())).statements.map((s) => JSON.stringify(s));
    expect(kept.length).toBeGreaterThan(500);
    expect(kept).toEqual(statements.slice(-kept.length));
  });

  it('a folder for a static web server gets the same files', async () => {
    const out = join(await tempDir(), 'feed');
    await writeFeed(feed, out);
    expect(await readdir(join(out, 'rotations'))).toHaveLength(TOTAL - 1);
    const path = rotationPath(parseRotationStatement(statements.at(-1)!).payload.previous.fingerprintSha256);
    expect(await readFile(join(out, path), 'utf8')).toBe(statements.at(-1));
    // Published again unchanged: nothing to rewrite, the same bytes.
    await writeFeed(feed, out);
    expect(await readFile(join(out, path), 'utf8')).toBe(statements.at(-1));
  }, 60_000);
});

describe('an agent ten renewals behind a chain of 2,000', () => {
  let hostile: HostileServer;
  let serverUrl: string;

  beforeAll(async () => {
    serverUrl = (await startServer(await makeStore())).url;
    hostile = await startHostile();
  });

  it('fetches only the ten statements it lacks, verifies them, and trusts the newest certificate', async () => {
    serveSnapshot(hostile, feed);
    const a = testAgent({ serverUrl, feedUrl: hostile.feedUrl, certificate: signers[0]!.certificate, version: TOTAL - REAL });
    const report = await a.agent.runOnce({ checkIn: 'never', upload: 'never' });
    expect(report.refused).toEqual([]);
    expect(report.rotatedBy).toBe(REAL);
    expect(report.version).toBe(TOTAL);
    expect(report.fingerprintSha256).toBe(fingerprintSha256(signers.at(-1)!.certificate));
    const fetched = hostile.seen.filter((r) => r.startsWith('GET /feed/rotations'));
    expect(fetched).toHaveLength(REAL);
    expect(hostile.seen).not.toContain('GET /feed/rotations.json');
  });

  it('a chain that loops back, or that never ends, costs a bounded number of requests and is refused', async () => {
    // An attacker's endless chain of lookalikes from the agent's certificate: never verifies.
    const start = fingerprintSha256(signers[0]!.certificate);
    const endless: string[] = [];
    let previous = start;
    for (let i = 0; i < 200; i++) {
      const next = randomBytes(32).toString('hex');
      endless.push(lookalike(TOTAL - REAL + 1 + i, previous, next, signers[1]!.certificate));
      previous = next;
    }
    hostile.seen.length = 0;
    serveSnapshot(hostile, feed, chainFiles(endless));
    const a = testAgent({ serverUrl, feedUrl: hostile.feedUrl, certificate: signers[0]!.certificate, version: TOTAL - REAL });
    const report = await a.agent.runOnce({ checkIn: 'never', upload: 'never' });
    expect(report.refused.map((r) => r.messageKind)).toEqual(['rotation']);
    expect(report.version).toBe(TOTAL - REAL);
    expect(hostile.seen.filter((r) => r.startsWith('GET /feed/rotations/')).length).toBeLessThanOrEqual(65);
  });
});
