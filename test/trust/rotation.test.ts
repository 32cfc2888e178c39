import { GeneralSign } from 'jose';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAX_ROTATION_STATEMENT_BYTES } from '../../core/trust/profile.js';
import {
  createRotationStatement,
  fingerprintSha256,
  thumbprintB64url,
  verifyRotationStep,
} from '../../core/trust/index.js';
import { T0, craftStatement, makeIdentity, refusal, type Identity } from './fixtures.js';

let v1: Identity, v2: Identity, v3: Identity, attacker: Identity, weak: Identity, v1Renamed: Identity;
let s12: string;

beforeAll(async () => {
  [v1, v2, v3, attacker] = ['v1', 'v2', 'v3', 'attacker'].map((n) => makeIdentity(n)) as [Identity, Identity, Identity, Identity];
  weak = makeIdentity('weak', 1024);
  v1Renamed = makeIdentity('v1-again', 2048, v1.privateKey);
  s12 = await createRotationStatement(v1, v2, { version: 2, now: T0 });
});

const header = (who: Identity, extra: Record<string, unknown> = {}) => ({ alg: 'PS256', typ: 'cm-rotation+jws', 'x5t#S256': thumbprintB64url(who.certificate), ...extra });
const payload12 = (overrides: Record<string, unknown> = {}) => ({
  kind: 'rotation',
  version: 2,
  previous: { fingerprintSha256: fingerprintSha256(v1.certificate), version: 1 },
  next: { certificate: v2.certificate.toString('base64'), fingerprintSha256: fingerprintSha256(v2.certificate) },
  iat: T0.getTime() / 1000,
  ...overrides,
});
const nextOf = (who: Identity) => ({ certificate: who.certificate.toString('base64'), fingerprintSha256: fingerprintSha256(who.certificate) });
const parsed = (s: string) => JSON.parse(s) as { payload: string; signatures: { protected: string; signature: string }[] };

describe('rotation statement', () => {
  it('is a general JWS signed by the old and the new key over the documented payload', async () => {
    const doc = parsed(s12);
    expect(doc.signatures).toHaveLength(2);
    expect(JSON.parse(Buffer.from(doc.payload, 'base64url').toString())).toEqual(payload12());
    expect(doc.signatures.map((s) => JSON.parse(Buffer.from(s.protected, 'base64url').toString()))).toEqual([header(v1), header(v2)]);
    const step = await verifyRotationStep(s12, v1.certificate, 1);
    expect(step).toEqual({
      version: 2,
      certificate: v2.certificate,
      fingerprintSha256: fingerprintSha256(v2.certificate),
      previousFingerprintSha256: fingerprintSha256(v1.certificate),
      issuedAt: T0,
    });
  });

  it('verifies a statement whose signatures were made independently by OpenSSL', async () => {
    const s = craftStatement(payload12(), [{ key: v2.privateKey, header: header(v2) }, { key: v1.privateKey, header: header(v1) }]);
    await expect(verifyRotationStep(s, v1.certificate, 1)).resolves.toMatchObject({ version: 2 });
  });

  it('signed only by the new key: not cross-signed', async () => {
    const only = await new GeneralSign(Buffer.from(JSON.stringify(payload12()))).addSignature(v2.privateKey).setProtectedHeader(header(v2)).sign();
    expect((await refusal(verifyRotationStep(JSON.stringify(only), v1.certificate, 1))).reason).toBe('rotation-not-cross-signed');
    // The old signature cut from a real statement.
    const doc = parsed(s12);
    const cut = JSON.stringify({ ...doc, signatures: [doc.signatures[1]] });
    expect((await refusal(verifyRotationStep(cut, v1.certificate, 1))).reason).toBe('rotation-not-cross-signed');
    // The new key twice, or the new key and a stranger.
    const twice = craftStatement(payload12(), [{ key: v2.privateKey, header: header(v2) }, { key: v2.privateKey, header: header(v2) }]);
    expect((await refusal(verifyRotationStep(twice, v1.certificate, 1))).reason).toBe('rotation-not-cross-signed');
    const stranger = craftStatement(payload12(), [{ key: attacker.privateKey, header: header(attacker) }, { key: v2.privateKey, header: header(v2) }]);
    expect((await refusal(verifyRotationStep(stranger, v1.certificate, 1))).reason).toBe('rotation-not-cross-signed');
  });

  it('signed only by the old key: not cross-signed (nobody may name a key they do not hold)', async () => {
    const s = craftStatement(payload12({ next: nextOf(attacker) }), [{ key: v1.privateKey, header: header(v1) }, { key: v1.privateKey, header: header(v1) }]);
    expect((await refusal(verifyRotationStep(s, v1.certificate, 1))).reason).toBe('rotation-not-cross-signed');
  });

  it('a new certificate on the old key is not a rotation', async () => {
    const s = craftStatement(payload12({ next: nextOf(v1Renamed) }), [{ key: v1.privateKey, header: header(v1) }, { key: v1.privateKey, header: header(v1Renamed) }]);
    expect((await refusal(verifyRotationStep(s, v1.certificate, 1))).reason).toBe('rotation-not-cross-signed');
    await expect(createRotationStatement(v1, v1Renamed, { version: 2 })).rejects.toMatchObject({ code: 'ROTATION_SAME_KEY' });
  });

  it('forged: a stranger signs claiming to be the old key, or a signature byte is flipped', async () => {
    const s = craftStatement(payload12(), [{ key: attacker.privateKey, header: header(v1) }, { key: v2.privateKey, header: header(v2) }]);
    expect((await refusal(verifyRotationStep(s, v1.certificate, 1))).reason).toBe('forged-signature');
    for (const i of [0, 1]) {
      const doc = parsed(s12);
      const sig = Buffer.from(doc.signatures[i]!.signature, 'base64url');
      sig[40]! ^= 0x80;
      doc.signatures[i]!.signature = sig.toString('base64url');
      expect((await refusal(verifyRotationStep(JSON.stringify(doc), v1.certificate, 1))).reason).toBe('forged-signature');
    }
  });

  it('swapped payload: the signatures of a real statement over another payload', async () => {
    const doc = parsed(s12);
    doc.payload = Buffer.from(JSON.stringify(payload12({ iat: 1 }))).toString('base64url');
    expect((await refusal(verifyRotationStep(JSON.stringify(doc), v1.certificate, 1))).reason).toBe('forged-signature');
  });

  it('rollback: a statement for a version the agent already has or passed', async () => {
    const err = await refusal(verifyRotationStep(s12, v2.certificate, 2));
    expect(err.reason).toBe('rollback');
    expect(err.details).toMatchObject({ version: 2, trustedVersion: 2 });
    expect((await refusal(verifyRotationStep(s12, v3.certificate, 3))).reason).toBe('rollback');
  });

  it('chain broken: a statement that does not start at the trusted certificate, or skips a version', async () => {
    const s23 = await createRotationStatement(v2, v3, { version: 3 });
    expect((await refusal(verifyRotationStep(s23, v1.certificate, 2))).reason).toBe('chain-broken');
    expect((await refusal(verifyRotationStep(s23, v1.certificate, 1))).reason).toBe('chain-broken');
    const lying = craftStatement(payload12({ previous: { fingerprintSha256: fingerprintSha256(v1.certificate), version: 0 } }), [
      { key: v1.privateKey, header: header(v1) },
      { key: v2.privateKey, header: header(v2) },
    ]);
    expect((await refusal(verifyRotationStep(lying, v1.certificate, 1))).reason).toBe('malformed'); // version 0 does not exist
    const skipping = craftStatement(payload12({ version: 3 }), [{ key: v1.privateKey, header: header(v1) }, { key: v2.privateKey, header: header(v2) }]);
    expect((await refusal(verifyRotationStep(skipping, v1.certificate, 1))).reason).toBe('chain-broken');
  });

  it('a weak (1024-bit) new key is not trusted', async () => {
    const s = craftStatement(payload12({ next: nextOf(weak) }), [{ key: v1.privateKey, header: header(v1) }, { key: weak.privateKey, header: header(weak) }]);
    expect((await refusal(verifyRotationStep(s, v1.certificate, 1))).reason).toBe('untrusted-key');
    await expect(createRotationStatement(v1, weak, { version: 2 })).rejects.toMatchObject({ code: 'SIGNER_CERTIFICATE_INVALID' });
  });

  it('header attacks: other algorithms, other types', async () => {
    const rs = craftStatement(payload12(), [{ key: v1.privateKey, header: header(v1, { alg: 'RS256' }) }, { key: v2.privateKey, header: header(v2) }]);
    expect((await refusal(verifyRotationStep(rs, v1.certificate, 1))).reason).toBe('forged-signature');
    const typ = craftStatement(payload12(), [{ key: v1.privateKey, header: header(v1, { typ: 'cm-msg+jws' }) }, { key: v2.privateKey, header: header(v2) }]);
    expect((await refusal(verifyRotationStep(typ, v1.certificate, 1))).reason).toBe('wrong-kind');
  });

  it('malformed statements', async () => {
    const doc = parsed(s12);
    const sig = (who: Identity) => craftStatement(payload12(), [{ key: who.privateKey, header: header(who) }]);
    const shapes: unknown[] = [
      'not json',
      '[]',
      '{}',
      JSON.stringify({ payload: doc.payload, signatures: [] }),
      JSON.stringify({ ...doc, signatures: [...doc.signatures, ...parsed(sig(v3)).signatures] }), // three signatures
      JSON.stringify({ ...doc, signatures: [{ ...doc.signatures[0], header: { kid: 'x' } }, doc.signatures[1]] }), // unprotected header
      JSON.stringify({ ...doc, extra: 1 }),
      JSON.stringify({ ...doc, payload: `${doc.payload}=` }),
      craftStatement(payload12({ next: { ...nextOf(v2), fingerprintSha256: fingerprintSha256(v3.certificate) } }), [
        { key: v1.privateKey, header: header(v1) },
        { key: v2.privateKey, header: header(v2) },
      ]),
      craftStatement(payload12({ next: { ...nextOf(v2), certificate: 'AAAA' } }), [{ key: v1.privateKey, header: header(v1) }, { key: v2.privateKey, header: header(v2) }]),
      craftStatement(payload12({ next: { ...nextOf(v2), certificate: `${v2.certificate.toString('base64')}\n` } }), [
        { key: v1.privateKey, header: header(v1) },
        { key: v2.privateKey, header: header(v2) },
      ]),
      craftStatement(payload12({ kind: 'notification' }), [{ key: v1.privateKey, header: header(v1) }, { key: v2.privateKey, header: header(v2) }]),
      craftStatement(payload12({ extra: 1 }), [{ key: v1.privateKey, header: header(v1) }, { key: v2.privateKey, header: header(v2) }]),
      42,
    ];
    for (const shape of shapes) expect((await refusal(verifyRotationStep(shape as string, v1.certificate, 1))).reason, String(shape).slice(0, 80)).toBe('malformed');
    expect((await refusal(verifyRotationStep(s12, v1.certificate, 0))).reason).toBe('malformed');
  });

  it('a new certificate whose public key is damaged is malformed (found by the property test)', async () => {
    const der = Buffer.from(v2.certificate);
    const rsaKey = Buffer.from('3082010a0282010100', 'hex'); // SEQUENCE { INTEGER n ... } inside the key BIT STRING
    const at = der.indexOf(rsaKey);
    expect(at).toBeGreaterThan(0);
    der[at] = 0x31;
    const s = craftStatement(payload12({ next: { certificate: der.toString('base64'), fingerprintSha256: fingerprintSha256(der) } }), [
      { key: v1.privateKey, header: header(v1) },
      { key: v2.privateKey, header: header(v2) },
    ]);
    expect((await refusal(verifyRotationStep(s, v1.certificate, 1))).reason).toBe('malformed');
  });

  it('oversized statements are refused before parsing', async () => {
    expect((await refusal(verifyRotationStep(' '.repeat(MAX_ROTATION_STATEMENT_BYTES + 1), v1.certificate, 1))).reason).toBe('oversized');
  });

  it('the server refuses impossible versions', async () => {
    await expect(createRotationStatement(v1, v2, { version: 1 })).rejects.toMatchObject({ code: 'ROTATION_VERSION_INVALID', kind: 'bad-input' });
    await expect(createRotationStatement(v1, v2, { version: 2.5 })).rejects.toMatchObject({ code: 'ROTATION_VERSION_INVALID' });
  });
});
