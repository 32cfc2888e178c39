/**
 * The one verifier (core/trust/verifier.ts) must say exactly what an independent jose-based
 * reading says (reference-verifier.ts, test-only): the same
 * claims for what it accepts, the same refusal reason (and message) for everything else.
 * A differential property test over hand-made messages (any header, any payload, validly
 * signed or not) and random damage to real ones, given as text or as bytes.
 */
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { constants, sign, type KeyObject } from 'node:crypto';
import { MessageVerifier } from '../../core/agent/index.js';
import { referenceVerify as verifyMessage } from './reference-verifier.js';
import { createSelfSignedCertificate } from '../../core/pki/certificate.js';
import { TrustError, createTrustState, fingerprintSha256, signMessage, thumbprintB64url, type MessageKind, type MessageTrust } from '../../core/trust/index.js';
import { testPrivateKey } from '../helpers/test-keys.js';

interface Key {
  privateKey: KeyObject;
  certificate: Buffer;
}
const key = (name: string, bits = 2048): Key => {
  const privateKey = testPrivateKey(bits);
  return { privateKey, certificate: createSelfSignedCertificate({ privateKey, commonName: name, validityDays: 30, now: new Date() }) };
};

let server: Key;
let replaced: Key;
let stranger: Key;
let small: { privateKey: KeyObject };
let trust: MessageTrust;
const NOW = new Date('2030-06-01T00:00:00Z');
const now = Math.floor(NOW.getTime() / 1000);
const verifier = new MessageVerifier();

beforeAll(() => {
  server = key('server');
  replaced = key('replaced');
  stranger = key('stranger');
  small = { privateKey: testPrivateKey(1024) };
  trust = { ...createTrustState(server.certificate, { version: 2 }), replaced: [fingerprintSha256(replaced.certificate)], lastSeq: { settings: 10, notification: 5 } };
});

type Outcome = { ok: true; value: unknown } | { ok: false; reason: string; message: string } | { ok: false; other: string };

async function outcome(run: () => unknown): Promise<Outcome> {
  try {
    return { ok: true, value: await run() };
  } catch (e) {
    if (e instanceof TrustError) return { ok: false, reason: e.reason, message: e.message };
    return { ok: false, other: `${(e as Error).name}: ${(e as Error).message}` };
  }
}

async function expectSame(jws: string | Buffer, kinds?: MessageKind[], t: MessageTrust = trust): Promise<Outcome> {
  const options = { now: NOW, ...(kinds ? { kinds } : {}) };
  const reference = await outcome(() => verifyMessage(jws, t, options));
  const fast = await outcome(() => verifier.verify(jws, t, options));
  expect(fast).toEqual(reference);
  // The same bytes given the other way round (text <-> bytes) make no difference either.
  const flipped = typeof jws === 'string' ? Buffer.from(jws, 'latin1') : jws.toString('latin1');
  expect(await outcome(() => verifier.verify(flipped, t, options))).toEqual(await outcome(() => verifyMessage(flipped, t, options)));
  return reference;
}

const b64 = (v: unknown) => (Buffer.isBuffer(v) ? v : Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))).toString('base64url');
const pss = (k: KeyObject, input: string, saltLength = 32) => sign('sha256', Buffer.from(input, 'latin1'), { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength }).toString('base64url');

/** A compact JWS with exactly this header and payload text, signed as told. */
function craft(header: unknown, payload: unknown, signer: 'server' | 'stranger' | 'replaced' | 'small' | 'none' | 'salt20' = 'server'): string {
  const input = `${b64(header)}.${b64(payload)}`;
  if (signer === 'none') return `${input}.`;
  const k = signer === 'server' || signer === 'salt20' ? server.privateKey : signer === 'stranger' ? stranger.privateKey : signer === 'replaced' ? replaced.privateKey : small.privateKey;
  return `${input}.${pss(k, input, signer === 'salt20' ? 20 : 32)}`;
}

const goodHeader = () => ({ alg: 'PS256', typ: 'cm-msg+jws', 'x5t#S256': thumbprintB64url(server.certificate) });

describe('MessageVerifier agrees with an independent jose-based reading', () => {
  it('on messages made by signMessage, of every kind and freshness', async () => {
    const kinds: MessageKind[] = ['notification', 'endpoint-response', 'settings', 'rotation'];
    for (const kind of kinds)
      for (const seq of [4, 5, 10, 11, 1e6])
        for (const at of [new Date(NOW.getTime() - 2 * 86400_000), NOW, new Date(NOW.getTime() + 3600_000)]) {
          const jws = await signMessage(server, { kind, seq, payload: { text: '日本語 ✓', n: [1, 2.5, -0, null, true], nested: { a: { b: {} } } }, now: at });
          await expectSame(jws);
          await expectSame(jws, ['settings']);
        }
    const manifest = { name: 'kb', version: '1', sha256: 'a'.repeat(64), size: 3, url: 'content/x' };
    await expectSame(await signMessage(server, { kind: 'hotfix-manifest', seq: 1, payload: manifest, now: NOW }));
    await expectSame(await signMessage(stranger, { kind: 'settings', seq: 99, payload: {}, now: NOW }));
    await expectSame(await signMessage(replaced, { kind: 'settings', seq: 99, payload: {}, now: NOW }));
  });

  it('on hand-made headers and payloads, properly signed or not', async () => {
    const claims = { kind: 'settings', seq: 20, iat: now, exp: now + 60 };
    const cases: [unknown, unknown, Parameters<typeof craft>[2]?][] = [
      [goodHeader(), { ...claims, body: { ok: 1 } }],
      [goodHeader(), `{"kind":"settings","seq":20,"iat":${now},"exp":${now + 60},"body":{"x":1e999}}`],
      [goodHeader(), `{"kind":"settings","seq":20,"iat":${now},"exp":${now + 60},"body":{"__proto__":{"polluted":1}}}`],
      [goodHeader(), `{"kind":"settings","seq":20,"iat":${now},"exp":${now + 60},"body":${'['.repeat(5000)}${']'.repeat(5000)}}`],
      [goodHeader(), `{"kind":"settings","seq":20,"iat":${now},"exp":${now + 60},"body":${'['.repeat(40)}1${']'.repeat(40)}}`],
      [goodHeader(), `{"kind":"settings","seq":20,"seq":21,"iat":${now},"exp":${now + 60},"body":null}`],
      [goodHeader(), { ...claims, body: null, extra: true }],
      [goodHeader(), { ...claims }],
      [goodHeader(), { ...claims, seq: -1, body: null }],
      [goodHeader(), { ...claims, seq: 1.5, body: null }],
      [goodHeader(), { ...claims, seq: 2 ** 53, body: null }],
      [goodHeader(), { ...claims, seq: '20', body: null }],
      [goodHeader(), { ...claims, exp: now, body: null }],
      [goodHeader(), { ...claims, iat: now + 100, exp: now + 50, body: null }],
      [goodHeader(), { ...claims, kind: 'unknown', body: null }],
      [goodHeader(), { ...claims, kind: 'hotfix-manifest', body: { name: 'x' } }],
      [goodHeader(), { ...claims, kind: 'notification', seq: 5, body: null }],
      [goodHeader(), [claims]],
      [goodHeader(), 'null'],
      [goodHeader(), '"text"'],
      [goodHeader(), Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from(JSON.stringify({ ...claims, body: null }))])],
      [goodHeader(), Buffer.from([...Buffer.from(`{"kind":"settings","seq":20,"iat":${now},"exp":${now + 60},"body":"`), 0xff, 0x22, 0x7d])],
      [goodHeader(), { ...claims, body: 'ok' }, 'stranger'],
      [goodHeader(), { ...claims, body: 'ok' }, 'salt20'],
      [goodHeader(), { ...claims, body: 'ok' }, 'none'],
      [{ ...goodHeader(), alg: 'none' }, { ...claims, body: null }, 'none'],
      [{ ...goodHeader(), alg: 'RS256' }, { ...claims, body: null }],
      [{ ...goodHeader(), alg: 'HS256' }, { ...claims, body: null }],
      [{ ...goodHeader(), typ: 'JWT' }, { ...claims, body: null }],
      [{ ...goodHeader(), crit: ['exp'] }, { ...claims, body: null }],
      [{ ...goodHeader(), b64: false }, { ...claims, body: null }],
      [{ ...goodHeader(), jwk: {} }, { ...claims, body: null }],
      [{ alg: 'PS256', typ: 'cm-msg+jws' }, { ...claims, body: null }],
      [{ ...goodHeader(), 'x5t#S256': thumbprintB64url(stranger.certificate) }, { ...claims, body: null }, 'stranger'],
      [{ ...goodHeader(), 'x5t#S256': thumbprintB64url(replaced.certificate) }, { ...claims, body: null }, 'replaced'],
      [{ ...goodHeader(), 'x5t#S256': 'x'.repeat(42) }, { ...claims, body: null }],
      [[goodHeader()], { ...claims, body: null }],
      ['not json', { ...claims, body: null }],
    ];
    for (const [header, payload, signer] of cases) await expectSame(craft(header, payload, signer));
    // A key too small to be trusted, in the trusted slot.
    const weak = createSelfSignedCertificate({ privateKey: small.privateKey, commonName: 'weak', validityDays: 1, now: new Date() });
    await expectSame(craft({ ...goodHeader(), 'x5t#S256': thumbprintB64url(weak) }, { ...claims, body: null }, 'small'), undefined, { ...trust, certificate: weak });
  });

  it('on size bounds and non-canonical encodings', async () => {
    const jws = await signMessage(server, { kind: 'settings', seq: 30, payload: { pad: 'x'.repeat(100) }, now: NOW });
    const [h, p, s] = jws.split('.') as [string, string, string];
    const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const bump = (part: string) => part.slice(0, -1) + ALPHABET[(ALPHABET.indexOf(part.at(-1)!) + 1) % 64];
    for (const variant of [`${h}.${bump(p)}.${s}`, `${h}.${p}.${bump(s)}`, `${bump(h)}.${p}.${s}`, `${h}.${p}=.${s}`, `${h}.${p}.${s}=`, `${h}.${p}A.${s}`, `${h}.${p}.${s}.`, `.${p}.${s}`, `${h}..${s}`, `${h}.${p}.`, `${h}.${p.replace(/.$/, '+')}.${s}`])
      await expectSame(variant);
    const options = { now: NOW, maxBytes: 100 };
    expect(await outcome(() => verifier.verify(jws, trust, options))).toEqual(await outcome(() => verifyMessage(jws, trust, options)));
  });

  it('on validly signed payload text of any length and content (property)', async () => {
    // The fast path decodes base64url four characters at a time with its own tail handling; a
    // properly signed payload part reaches that decoder whatever it holds, so every length mod
    // 4, every stray character and every non-canonical last character is compared here.
    const h = b64(goodHeader());
    const payloadText = fc.oneof(
      fc.json({ maxDepth: 3 }).map((body) => b64(`{"kind":"settings","seq":50,"iat":${now},"exp":${now + 60},"body":${body}}`)),
      fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_+/=.é\u0000 '), maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }).map((text) => b64(`{"kind":"settings","seq":50,"iat":${now},"exp":${now + 60},"body":${JSON.stringify(text)}}`)),
    );
    // The header is read once first, as an agent would have: that arms the fast path.
    await expectSame(craft(goodHeader(), { kind: 'settings', seq: 49, iat: now, exp: now + 60, body: null }));
    await fc.assert(
      fc.asyncProperty(payloadText, fc.boolean(), async (p, asBytes) => {
        const jws = `${h}.${p}.${pss(server.privateKey, `${h}.${p}`)}`;
        await expectSame(asBytes ? Buffer.from(jws, 'utf8') : jws);
      }),
      { numRuns: 200 },
    );
  });

  it('on any damage to a real message (property)', async () => {
    const base = await signMessage(server, { kind: 'notification', seq: 40, payload: { documents: [{ path: 'documents/1.jws' }], notices: [] }, now: NOW });
    const other = await signMessage(server, { kind: 'notification', seq: 41, payload: { documents: [], notices: ['x'] }, now: NOW });
    const mutate = fc.oneof(
      fc.record({ pos: fc.nat(), ch: fc.constantFrom(...'AZaz09-_.=+/ é\u0000') }).map(({ pos, ch }) => (j: string) => j.slice(0, pos % j.length) + ch + j.slice((pos % j.length) + 1)),
      fc.record({ pos: fc.nat(), len: fc.integer({ min: 1, max: 6 }) }).map(({ pos, len }) => (j: string) => j.slice(0, pos % j.length) + j.slice((pos % j.length) + len)),
      fc.record({ pos: fc.nat(), text: fc.string({ maxLength: 6 }) }).map(({ pos, text }) => (j: string) => j.slice(0, pos % j.length) + text + j.slice(pos % j.length)),
      fc.integer({ min: 0, max: 2 }).map((i) => (j: string) => j.split('.').map((part, k) => (k === i ? other.split('.')[k] : part)).join('.')),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutate, { minLength: 1, maxLength: 3 }), fc.boolean(), async (steps, asBytes) => {
        const damaged = steps.reduce((j, f) => f(j), base);
        await expectSame(asBytes ? Buffer.from(damaged, 'utf8') : damaged);
      }),
      { numRuns: 300 },
    );
  });
});
