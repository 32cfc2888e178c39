import { createHmac } from 'node:crypto';
import { CompactSign } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { CertManagerError } from '../../core/errors.js';
import {
  DEFAULT_MAX_MESSAGE_BYTES,
  MESSAGE_TYP,
  TrustError,
  createContentManifest,
  createTrustState,
  fingerprintSha256,
  isRepeatOfLastAccepted,
  recordAccepted,
  signMessage,
  thumbprintB64url,
  verifyMessage,
  type TrustState,
} from '../../core/trust/index.js';
import { T0, at, craftCompact, headerOf, makeIdentity, payloadOf, refusal, type Identity } from './fixtures.js';

let srv: Identity;
let attacker: Identity;
let trust: TrustState;

beforeAll(() => {
  srv = makeIdentity('srv');
  attacker = makeIdentity('attacker');
  trust = createTrustState(srv.certificate);
});

const note = (seq: number, extra: { ttlSeconds?: number; now?: Date; payload?: unknown } = {}) =>
  signMessage(srv, { kind: 'notification', seq, payload: extra.payload ?? { text: `hello ${seq}` }, ttlSeconds: extra.ttlSeconds, now: extra.now ?? T0 });

/** A valid header for our profile, naming the trusted certificate. */
const goodHeader = () => ({ alg: 'PS256', typ: MESSAGE_TYP, 'x5t#S256': thumbprintB64url(srv.certificate) });
const goodPayload = (seq = 1) => ({ kind: 'notification', seq, iat: T0.getTime() / 1000, exp: T0.getTime() / 1000 + 3600, body: { a: 1 } });

describe('signMessage / verifyMessage round trip', () => {
  it('verifies a message signed by the trusted certificate', async () => {
    const jws = await note(1, { ttlSeconds: 600 });
    const msg = await verifyMessage(jws, trust, { now: at(10) });
    expect(msg).toEqual({
      kind: 'notification',
      seq: 1,
      iat: T0.getTime() / 1000,
      exp: T0.getTime() / 1000 + 600,
      body: { text: 'hello 1' },
      signerFingerprintSha256: fingerprintSha256(srv.certificate),
    });
  });

  it('writes the profile header: PS256, our typ, x5t#S256 of the certificate DER', async () => {
    const jws = await note(1);
    expect(headerOf(jws)).toEqual({ alg: 'PS256', typ: 'cm-msg+jws', 'x5t#S256': thumbprintB64url(srv.certificate) });
    expect(thumbprintB64url(srv.certificate)).toBe(Buffer.from(fingerprintSha256(srv.certificate), 'hex').toString('base64url'));
    expect(fingerprintSha256(srv.certificate)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('accepts the message as bytes too', async () => {
    const jws = await note(2);
    await expect(verifyMessage(new TextEncoder().encode(jws), trust, { now: T0 })).resolves.toMatchObject({ seq: 2 });
  });

  it('verifies a signature made independently by OpenSSL (PSS, salt 32)', async () => {
    const jws = craftCompact(goodHeader(), goodPayload(3), srv.privateKey);
    await expect(verifyMessage(jws, trust, { now: T0 })).resolves.toMatchObject({ seq: 3, body: { a: 1 } });
  });

  it('carries a hotfix manifest as a checked body', async () => {
    const manifest = createContentManifest({ name: 'hotfix-1', version: '1.0.1', content: Buffer.from('patch'), url: 'hotfix/1.bin' });
    const jws = await signMessage(srv, { kind: 'hotfix-manifest', seq: 9, payload: manifest, now: T0 });
    const msg = await verifyMessage(jws, trust, { now: T0 });
    expect(msg.kind === 'hotfix-manifest' && msg.body).toEqual(manifest);
  });

  it('refuses on the server side what agents would refuse', async () => {
    const bad = (input: Parameters<typeof signMessage>[1]) => signMessage(srv, input).then(
      () => 'accepted',
      (e: unknown) => (e instanceof CertManagerError && !(e instanceof TrustError) ? e.code : String(e)),
    );
    expect(await bad({ kind: 'hotfix-manifest', seq: 1, payload: { name: 'x' } })).toBe('MESSAGE_INVALID');
    expect(await bad({ kind: 'notification', seq: -1, payload: {} })).toBe('MESSAGE_INVALID');
    expect(await bad({ kind: 'notification', seq: 1.5, payload: {} })).toBe('MESSAGE_INVALID');
    expect(await bad({ kind: 'nope' as never, seq: 1, payload: {} })).toBe('MESSAGE_INVALID');
    expect(await bad({ kind: 'notification', seq: 1, payload: undefined })).toBe('MESSAGE_INVALID');
    expect(await bad({ kind: 'notification', seq: 1, payload: { n: 1n } })).toBe('MESSAGE_BODY_INVALID');
    expect(await bad({ kind: 'notification', seq: 1, payload: {}, ttlSeconds: 0 })).toBe('MESSAGE_TTL_INVALID');
    expect(await bad({ kind: 'notification', seq: 1, payload: 'x'.repeat(DEFAULT_MAX_MESSAGE_BYTES) })).toBe('MESSAGE_TOO_LARGE');
    const mismatched = signMessage({ privateKey: attacker.privateKey, certificate: srv.certificate }, { kind: 'notification', seq: 1, payload: {} });
    await expect(mismatched).rejects.toMatchObject({ code: 'SIGNER_KEY_MISMATCH', kind: 'bad-input' });
  });
});

describe('attacks on a message', () => {
  it('forged signature: one flipped byte of the signature', async () => {
    const jws = await note(1);
    const [h, p, s] = jws.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    sig[17]! ^= 0x01;
    const err = await refusal(verifyMessage(`${h}.${p}.${sig.toString('base64url')}`, trust, { now: T0 }));
    expect(err.reason).toBe('forged-signature');
    expect(err).toBeInstanceOf(CertManagerError);
    expect(err.kind).toBe('bad-input');
    expect(err.code).toBe('TRUST_FORGED_SIGNATURE');
    expect(err.details.reason).toBe('forged-signature');
  });

  it('forged signature: header naming the trusted certificate, signed by another key', async () => {
    const jws = craftCompact(goodHeader(), goodPayload(), attacker.privateKey);
    expect((await refusal(verifyMessage(jws, trust, { now: T0 }))).reason).toBe('forged-signature');
  });

  it('valid signature by an untrusted key', async () => {
    const jws = await signMessage(attacker, { kind: 'notification', seq: 1, payload: {}, now: T0 });
    const err = await refusal(verifyMessage(jws, trust, { now: T0 }));
    expect(err.reason).toBe('untrusted-key');
    expect(err.details.thumbprint).toBe(thumbprintB64url(attacker.certificate));
  });

  it('message signed by a certificate the agent rotated away from', async () => {
    const jws = await signMessage(attacker, { kind: 'notification', seq: 1, payload: {}, now: T0 });
    const rotated = { ...trust, replaced: [fingerprintSha256(attacker.certificate)] };
    expect((await refusal(verifyMessage(jws, rotated, { now: T0 }))).reason).toBe('replaced-key');
  });

  it('swapped payload: header and signature of one message, payload of another', async () => {
    const a = await note(1);
    const b = await note(2, { payload: { text: 'reinstall everything' } });
    const [h, , s] = a.split('.');
    const [, p] = b.split('.');
    expect((await refusal(verifyMessage(`${h}.${p}.${s}`, trust, { now: T0 }))).reason).toBe('forged-signature');
  });

  it('replay: the same or an older seq for a kind; other kinds are counted apart', async () => {
    const state = { ...trust, lastSeq: { notification: 5 } };
    const same = await refusal(verifyMessage(await note(5), state, { now: T0 }));
    expect(same.reason).toBe('replay');
    expect(isRepeatOfLastAccepted(same)).toBe(true);
    const older = await refusal(verifyMessage(await note(4), state, { now: T0 }));
    expect(older.reason).toBe('replay');
    expect(isRepeatOfLastAccepted(older)).toBe(false);
    await expect(verifyMessage(await note(6), state, { now: T0 })).resolves.toMatchObject({ seq: 6 });
    const settings = await signMessage(srv, { kind: 'settings', seq: 1, payload: { interval: 60 }, now: T0 });
    await expect(verifyMessage(settings, state, { now: T0 })).resolves.toMatchObject({ kind: 'settings', seq: 1 });
  });

  it('replay: a message accepted and recorded is refused the second time', async () => {
    const jws = await note(7);
    const msg = await verifyMessage(jws, trust, { now: T0 });
    const after = recordAccepted(trust, msg);
    expect(after.lastSeq).toEqual({ notification: 7 });
    expect(trust.lastSeq).toEqual({}); // pure: the old state is untouched
    expect((await refusal(verifyMessage(jws, after, { now: T0 }))).reason).toBe('replay');
    // Two verifications raced with the old state: only the first commit wins.
    expect((await refusal(() => recordAccepted(after, msg))).reason).toBe('replay');
  });

  it('expired, with the clock-skew allowance', async () => {
    const jws = await note(1, { ttlSeconds: 600 });
    await expect(verifyMessage(jws, trust, { now: at(600 + 59) })).resolves.toBeDefined();
    expect((await refusal(verifyMessage(jws, trust, { now: at(600 + 60) }))).reason).toBe('expired');
    expect((await refusal(verifyMessage(jws, trust, { now: at(601), clockSkewSeconds: 0 }))).reason).toBe('expired');
  });

  it('not yet valid, with the clock-skew allowance', async () => {
    const jws = await note(1);
    await expect(verifyMessage(jws, trust, { now: at(-60) })).resolves.toBeDefined();
    expect((await refusal(verifyMessage(jws, trust, { now: at(-61) }))).reason).toBe('not-yet-valid');
  });

  it('wrong kind for the channel, and a JWS of another type', async () => {
    const jws = await note(1);
    expect((await refusal(verifyMessage(jws, trust, { now: T0, kinds: ['settings', 'hotfix-manifest'] }))).reason).toBe('wrong-kind');
    await expect(verifyMessage(jws, trust, { now: T0, kinds: ['notification'] })).resolves.toBeDefined();
    const jwt = craftCompact({ ...goodHeader(), typ: 'JWT' }, goodPayload(), srv.privateKey);
    expect((await refusal(verifyMessage(jwt, trust, { now: T0 }))).reason).toBe('wrong-kind');
    const rotationTyp = craftCompact({ ...goodHeader(), typ: 'cm-rotation+jws' }, goodPayload(), srv.privateKey);
    expect((await refusal(verifyMessage(rotationTyp, trust, { now: T0 }))).reason).toBe('wrong-kind');
  });

  it('oversized: refused before parsing, by default bound and by option', async () => {
    const jws = await note(1);
    const small = await refusal(verifyMessage(jws, trust, { now: T0, maxBytes: 100 }));
    expect(small.reason).toBe('oversized');
    expect(small.details).toMatchObject({ size: jws.length, maxBytes: 100 });
    expect((await refusal(verifyMessage('a'.repeat(DEFAULT_MAX_MESSAGE_BYTES + 1), trust))).reason).toBe('oversized');
    expect((await refusal(verifyMessage(new Uint8Array(DEFAULT_MAX_MESSAGE_BYTES + 1), trust))).reason).toBe('oversized');
    // Multi-byte characters count as their UTF-8 bytes.
    expect((await refusal(verifyMessage('é'.repeat(DEFAULT_MAX_MESSAGE_BYTES / 2 + 1), trust))).reason).toBe('oversized');
  });

  it('alg "none" (with and without a signature part)', async () => {
    const h = Buffer.from(JSON.stringify({ ...goodHeader(), alg: 'none' })).toString('base64url');
    const p = Buffer.from(JSON.stringify(goodPayload())).toString('base64url');
    for (const jws of [`${h}.${p}.`, `${h}.${p}.AAAA`]) {
      const err = await refusal(verifyMessage(jws, trust, { now: T0 }));
      expect(err.reason).toBe('forged-signature');
      expect(err.details.alg).toBe('none');
    }
  });

  it('HS256 keyed with the public certificate (key confusion) and RS256 by the real key', async () => {
    const pem = srv.certificate.toString('base64');
    const hs = craftCompact({ ...goodHeader(), alg: 'HS256' }, goodPayload(), (input) => createHmac('sha256', pem).update(input).digest());
    expect((await refusal(verifyMessage(hs, trust, { now: T0 }))).reason).toBe('forged-signature');
    const rs = await new CompactSign(Buffer.from(JSON.stringify(goodPayload()))).setProtectedHeader({ ...goodHeader(), alg: 'RS256' }).sign(srv.privateKey);
    expect((await refusal(verifyMessage(rs, trust, { now: T0 }))).reason).toBe('forged-signature');
  });

  it('malformed: many shapes, each refused as malformed', async () => {
    const good = await note(1);
    const [h, p, s] = good.split('.') as [string, string, string];
    const enc = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
    // Non-canonical base64url: the unused low bits of the last character set (2048-bit signature = 256 bytes).
    const last = s.at(-1)!;
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const sameBytes = alphabet[alphabet.indexOf(last) ^ 1]!;
    expect(Buffer.from(s.slice(0, -1) + sameBytes, 'base64url').equals(Buffer.from(s, 'base64url'))).toBe(true);
    const shapes: unknown[] = [
      '',
      'abc',
      'a.b',
      `${h}.${p}.${s}.${s}`,
      '..',
      `${h}..${s}`,
      `${h}.${p}.`,
      `.${p}.${s}`,
      `${h}.${p}.${s.slice(0, -1) + sameBytes}`,
      `${h}.${p}.${s}=`,
      `${h}.${p}+.${s}`,
      ` ${good}`,
      `${good}\n`,
      `${h}.${p}.${s.slice(0, -1)}é`,
      `${enc('not json')}.${p}.${s}`,
      `${enc([1, 2])}.${p}.${s}`,
      `${enc('null')}.${p}.${s}`,
      `${enc({ typ: MESSAGE_TYP, 'x5t#S256': thumbprintB64url(srv.certificate) })}.${p}.${s}`,
      `${enc({ alg: 'PS256', typ: MESSAGE_TYP })}.${p}.${s}`,
      `${enc({ ...goodHeader(), 'x5t#S256': 'short' })}.${p}.${s}`,
      `${enc({ ...goodHeader(), crit: ['exp'] })}.${p}.${s}`,
      `${enc({ ...goodHeader(), jwk: { kty: 'RSA' } })}.${p}.${s}`,
      `${enc({ ...goodHeader(), b64: false })}.${p}.${s}`,
      new Uint8Array([0xff, 0x2e, 0xfe, 0x2e, 0xfd]),
      42,
      null,
      { jws: good },
    ];
    for (const shape of shapes) {
      const err = await refusal(verifyMessage(shape as string, trust, { now: T0 }));
      expect(err.reason, JSON.stringify(shape)).toBe('malformed');
    }
  });

  it('malformed payloads are refused even when the trusted key signed them', async () => {
    const cases: unknown[] = [
      Buffer.from('not json'),
      Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from(JSON.stringify(goodPayload()))]), // BOM
      Buffer.from([0x22, 0xc3, 0x28, 0x22]), // invalid UTF-8 inside a string
      [],
      { ...goodPayload(), extra: true },
      { ...goodPayload(), kind: 'reboot' },
      { ...goodPayload(), seq: -1 },
      { ...goodPayload(), seq: '1' },
      { ...goodPayload(), iat: 1.5 },
      { ...goodPayload(), exp: goodPayload().iat },
      { kind: 'notification', seq: 1, iat: 1, exp: 2 },
      { ...goodPayload(), kind: 'hotfix-manifest', body: { name: 'x', version: '1', sha256: 'ab', size: 1, url: 'x' } },
    ];
    for (const payload of cases) {
      const jws = craftCompact(goodHeader(), payload, srv.privateKey);
      const err = await refusal(verifyMessage(jws, trust, { now: T0 }));
      expect(err.reason, JSON.stringify(payload)).toBe('malformed');
    }
  });

  it('absurdly nested bodies are refused as malformed, not a stack overflow', async () => {
    const depth = 200_000;
    const body = '['.repeat(depth) + ']'.repeat(depth);
    const payload = Buffer.from(`{"kind":"notification","seq":1,"iat":${T0.getTime() / 1000},"exp":${T0.getTime() / 1000 + 60},"body":${body}}`);
    const jws = craftCompact(goodHeader(), payload, srv.privateKey);
    const err = await refusal(verifyMessage(jws, trust, { now: T0 }));
    expect(err.reason).toBe('malformed');
  });

  it('options that would switch a check off are refused as programming errors', async () => {
    const jws = await note(1);
    await expect(verifyMessage(jws, trust, { now: new Date(Number.NaN) })).rejects.toThrow(RangeError);
    await expect(verifyMessage(jws, trust, { now: T0, maxBytes: Number.NaN })).rejects.toThrow(RangeError);
    await expect(verifyMessage(jws, trust, { now: T0, clockSkewSeconds: -1 })).rejects.toThrow(RangeError);
  });

  it('every refusal says what happens next and has a stable code', async () => {
    const err = await refusal(verifyMessage('x', trust));
    expect(err.message).toMatch(/refused/);
    expect(err.code).toBe('TRUST_MALFORMED');
    expect(payloadOf(await note(1))).toMatchObject({ kind: 'notification', seq: 1 });
  });
});
