import { beforeAll, describe, expect, it } from 'vitest';
import {
  createRotationStatement,
  createTrustState,
  fingerprintSha256,
  followRotations,
  parseTrustState,
  serializeTrustState,
  signMessage,
  thumbprintB64url,
  verifyMessage,
  verifyRotationStep,
  TrustState,
} from '../../core/trust/index.js';
import { T0, at, craftStatement, makeIdentity, refusal, type Identity } from './fixtures.js';

let v1: Identity, v2: Identity, v3: Identity, v4: Identity, a2: Identity, a3: Identity;
let s2: string, s3: string, s4: string;
let start: TrustState;

beforeAll(async () => {
  [v1, v2, v3, v4, a2, a3] = ['v1', 'v2', 'v3', 'v4', 'a2', 'a3'].map((n) => makeIdentity(n)) as Identity[] as [Identity, Identity, Identity, Identity, Identity, Identity];
  s2 = await createRotationStatement(v1, v2, { version: 2, now: T0 });
  s3 = await createRotationStatement(v2, v3, { version: 3, now: T0 });
  s4 = await createRotationStatement(v3, v4, { version: 4, now: T0 });
  start = createTrustState(v1.certificate)
    .accept({ kind: 'notification', seq: 10, signerFingerprintSha256: fp(v1) })
    .accept({ kind: 'settings', seq: 3, signerFingerprintSha256: fp(v1) });
});

const fp = (who: Identity) => fingerprintSha256(who.certificate);

describe('followRotations', () => {
  it('walks v1 -> v2 -> v3 -> v4 from statements in any order; the new key starts its own replay counters', async () => {
    const after = await followRotations(start, [s4, s2, s3]);
    expect(after).toMatchObject({
      version: 4,
      certificate: v4.certificate,
      fingerprintSha256: fp(v4),
      replaced: [fp(v1), fp(v2), fp(v3)],
      lastSeq: {},
    });
    expect(start.version).toBe(1); // pure: the input state is untouched
  });

  it('is idempotent: the same statements again change nothing', async () => {
    const once = await followRotations(start, [s2, s3, s4]);
    const twice = await followRotations(once, [s2, s3, s4]);
    expect(twice).toEqual(once);
    expect(await followRotations(start, [])).toEqual(start);
    // Duplicates in the list, and re-signed copies of a step (PSS is randomized), are fine.
    const again = await createRotationStatement(v2, v3, { version: 3, now: T0 });
    expect(again).not.toBe(s3);
    expect(await followRotations(start, [s2, s2, s3, again, s4, s4])).toEqual(once);
  });

  it('an agent part-way along ignores the history it already has', async () => {
    const atV2 = await followRotations(start, [s2]);
    expect(atV2.version).toBe(2);
    expect(await followRotations(atV2, [s2, s3, s4])).toEqual(await followRotations(start, [s2, s3, s4]));
    // Alone, an old step is a rollback; in a list it is history.
    expect((await refusal(verifyRotationStep(s2, atV2.certificate, 2))).reason).toBe('rollback');
  });

  it('after rotating, the old certificate is a replaced key and the new one is trusted', async () => {
    const after = await followRotations(start, [s2, s3]);
    const byOld = await signMessage(v1, { kind: 'notification', seq: 11, payload: {}, now: T0 });
    const err = await refusal(verifyMessage(byOld, after, { now: T0 }));
    expect(err.reason).toBe('replaced-key');
    expect(err.details.thumbprint).toBe(thumbprintB64url(v1.certificate));
    const byNew = await signMessage(v3, { kind: 'notification', seq: 11, payload: {}, now: T0 });
    await expect(verifyMessage(byNew, after, { now: T0 })).resolves.toMatchObject({ seq: 11, signerFingerprintSha256: fp(v3) });
    // Replay counters belong to the key that signed: what v1 signed binds nothing for v3,
    // while what v3 signed binds v3 from then on.
    const lowSeq = await signMessage(v3, { kind: 'notification', seq: 10, payload: {}, now: T0 });
    const accepted = after.accept(await verifyMessage(lowSeq, after, { now: T0 }));
    expect((await refusal(verifyMessage(lowSeq, accepted, { now: T0 }))).reason).toBe('replay');
    // A key never trusted is 'untrusted-key', not 'replaced-key'.
    const byStranger = await signMessage(a2, { kind: 'notification', seq: 12, payload: {}, now: T0 });
    expect((await refusal(verifyMessage(byStranger, after, { now: T0 }))).reason).toBe('untrusted-key');
  });

  it('rollback: a properly cross-signed step back to a replaced certificate is refused', async () => {
    const atV4 = await followRotations(start, [s2, s3, s4]);
    const back = await createRotationStatement(v4, v1, { version: 5, now: T0 });
    // On its own the step is sound (verifyRotationStep has no history) ...
    await expect(verifyRotationStep(back, v4.certificate, 4)).resolves.toMatchObject({ version: 5 });
    // ... but the agent remembers v1 was replaced.
    expect((await refusal(followRotations(atV4, [s2, s3, s4, back]))).reason).toBe('rollback');
  });

  it('rollback: an older certificate offered at an old version is never taken', async () => {
    const atV3 = await followRotations(start, [s2, s3]);
    expect(await followRotations(atV3, [s2])).toBe(atV3);
    expect((await refusal(verifyRotationStep(s2, atV3.certificate, 3))).reason).toBe('rollback');
  });

  it('chain broken: a missing link, a statement from another chain', async () => {
    const gap = await refusal(followRotations(start, [s2, s4]));
    expect(gap.reason).toBe('chain-broken');
    expect(gap.details.version).toBe(3);
    const foreign = await createRotationStatement(a2, a3, { version: 3, now: T0 });
    expect((await refusal(followRotations(start, [s2, foreign]))).reason).toBe('chain-broken');
    expect((await refusal(followRotations(start, [s3, s4]))).reason).toBe('chain-broken');
  });

  it('a fork (the old key named two different successors) is refused, not guessed', async () => {
    const other = await createRotationStatement(v1, a2, { version: 2, now: T0 });
    expect((await refusal(followRotations(start, [s2, other]))).reason).toBe('chain-broken');
  });

  it('a bogus candidate next to the real statement does not block the walk', async () => {
    const payload = JSON.parse(Buffer.from((JSON.parse(s2) as { payload: string }).payload, 'base64url').toString()) as object;
    const onlyNew = craftStatement({ ...payload, next: { certificate: a2.certificate.toString('base64'), fingerprintSha256: fp(a2) } }, [
      { key: a2.privateKey, header: { alg: 'PS256', typ: 'cm-rotation+jws', 'x5t#S256': thumbprintB64url(a2.certificate) } },
      { key: a2.privateKey, header: { alg: 'PS256', typ: 'cm-rotation+jws', 'x5t#S256': thumbprintB64url(a2.certificate) } },
    ]);
    expect((await refusal(followRotations(start, [onlyNew]))).reason).toBe('rotation-not-cross-signed');
    expect((await followRotations(start, [onlyNew, s2])).version).toBe(2);
  });

  it('all or nothing: a bad last step leaves the caller with its old state', async () => {
    const doc = JSON.parse(s4) as { signatures: { signature: string }[] };
    const sig = Buffer.from(doc.signatures[0]!.signature, 'base64url');
    sig[3]! ^= 1;
    doc.signatures[0]!.signature = sig.toString('base64url');
    expect((await refusal(followRotations(start, [s2, s3, JSON.stringify(doc)]))).reason).toBe('forged-signature');
    expect((await refusal(followRotations(start, [s2, 'garbage']))).reason).toBe('malformed');
  });

  it('chain too long: more steps than maxSteps', async () => {
    const err = await refusal(followRotations(start, [s2, s3, s4], { maxSteps: 2 }));
    expect(err.reason).toBe('chain-too-long');
    expect((await followRotations(start, [s2, s3, s4], { maxSteps: 3 })).version).toBe(4);
    expect((await refusal(followRotations(start, new Array<string>(5000).fill(s2)))).reason).toBe('chain-too-long');
  });
});

describe('trust state on disk', () => {
  it('round-trips through JSON', async () => {
    const state = await followRotations(start, [s2, s3]);
    const json = serializeTrustState(state);
    expect(JSON.parse(json)).toMatchObject({ format: 'cm-trust-state/2', version: 3, fingerprintSha256: fp(v3), seqSigner: fp(v3), lastSeq: {}, versionKnown: true, lastHead: null });
    expect(parseTrustState(json)).toEqual(state);
  });

  it('refuses a state that is damaged or lies about itself', async () => {
    const good = JSON.parse(serializeTrustState(await followRotations(start, [s2]))) as Record<string, unknown>;
    const bad: unknown[] = [
      'not json',
      { ...good, format: 'cm-trust-state/3' },
      { ...good, seqSigner: fp(v1) },
      { ...good, lastHead: { seq: 1, lifetimeSeconds: 0, verifiedAt: T0.toISOString() } },
      { ...good, version: 0 },
      { ...good, fingerprintSha256: fp(v3) },
      { ...good, certificate: v3.certificate.toString('base64') },
      { ...good, certificate: 'AAAA' },
      { ...good, replaced: [fp(v2)] },
      { ...good, replaced: [fp(v1), fp(v1)] },
      { ...good, lastSeq: { reboot: 1 } },
      { ...good, lastSeq: { notification: -1 } },
      { ...good, extra: true },
    ];
    for (const doc of bad) {
      const json = typeof doc === 'string' ? doc : JSON.stringify(doc);
      expect((await refusal(() => parseTrustState(json))).reason, json.slice(0, 60)).toBe('malformed');
    }
  });

  it('createTrustState refuses what cannot be trusted', async () => {
    expect((await refusal(() => createTrustState(Buffer.from('nope')))).reason).toBe('malformed');
    const pem = Buffer.from(`-----BEGIN CERTIFICATE-----\n${v1.certificate.toString('base64')}\n-----END CERTIFICATE-----\n`);
    expect((await refusal(() => createTrustState(pem))).reason).toBe('malformed');
    expect((await refusal(() => createTrustState(v1.certificate, { version: 0 }))).reason).toBe('malformed');
  });
});

describe('TrustState: the one place trust changes (issue #11 finding 9)', () => {
  it('is made only by core/trust and cannot be changed in place', async () => {
    const state = createTrustState(v1.certificate);
    expect(() => Reflect.construct(TrustState, [Symbol('TrustState'), { ...state }])).toThrow(TypeError);
    expect(Object.isFrozen(state)).toBe(true);
    expect(Object.isFrozen(state.lastSeq)).toBe(true);
    expect(() => ((state as { version: number }).version = 9)).toThrow(TypeError);
    expect(() => ((state.lastSeq as Record<string, number>).notification = 1)).toThrow(TypeError);
    // A look-alike object is not a TrustState, and rotate()/accept() exist only on the real one.
    expect({ ...state } instanceof TrustState).toBe(false);
  });

  it('counts only what the trusted key signed, and only forward', async () => {
    const state = createTrustState(v1.certificate);
    expect((await refusal(() => state.accept({ kind: 'settings', seq: 5, signerFingerprintSha256: fp(a2) }))).reason).toBe('untrusted-key');
    const five = state.accept({ kind: 'settings', seq: 5, signerFingerprintSha256: fp(v1) });
    expect((await refusal(() => five.accept({ kind: 'settings', seq: 5, signerFingerprintSha256: fp(v1) }))).reason).toBe('replay');
    expect((await refusal(() => five.accept({ kind: 'settings', seq: 4, signerFingerprintSha256: fp(v1) }))).reason).toBe('replay');
    expect(state.lastSeq).toEqual({}); // the old state is untouched
  });

  it('keeps the last verified head, and says when none came for longer than a head lifetime', async () => {
    const state = createTrustState(v1.certificate);
    expect(state.isStale(at(100), T0, 3600)).toBe(false);
    expect(state.isStale(at(3601), T0, 3600)).toBe(true);
    const head = { kind: 'notification' as const, seq: 7, iat: 0, exp: 600, signerFingerprintSha256: fp(v1) };
    const fresh = state.acceptHead(head, at(1000));
    expect(fresh.lastHead).toEqual({ seq: 7, lifetimeSeconds: 600, verifiedAt: at(1000).toISOString() });
    expect(fresh.isStale(at(1600), T0, 3600)).toBe(false);
    expect(fresh.isStale(at(1601), T0, 3600)).toBe(true);
    // Freshness never moves back (a clock set back does not make an old head look new).
    expect(fresh.acceptHead({ ...head, seq: 8 }, at(10)).lastHead!.verifiedAt).toBe(at(1000).toISOString());
    expect(parseTrustState(serializeTrustState(fresh))).toEqual(fresh);
  });

  it('learns its version only from what the trusted key signed; until then it follows no chain', async () => {
    const unknown = createTrustState(v2.certificate, { versionKnown: false });
    expect(await unknown.rotate([s2, s3, s4])).toBe(unknown);
    // Names v2 as version 2, but signed by two strangers that claim v2's thumbprint: believed by nobody.
    const payload = { kind: 'rotation', version: 3, previous: { fingerprintSha256: fp(v2), version: 2 }, next: { certificate: a3.certificate.toString('base64'), fingerprintSha256: fp(a3) }, iat: 1 };
    const header = (who: Identity) => ({ alg: 'PS256', typ: 'cm-rotation+jws', 'x5t#S256': thumbprintB64url(who.certificate) });
    const forged = craftStatement(payload, [
      { key: a2.privateKey, header: header(v2) },
      { key: a3.privateKey, header: header(a3) },
    ]);
    expect(await unknown.learnVersionFromChain([forged])).toBe(unknown);
    const learnt = await unknown.learnVersionFromChain([s2, s3, s4]);
    expect(learnt).toMatchObject({ version: 2, versionKnown: true });
    expect((await learnt.rotate([s2, s3, s4])).version).toBe(4);
    // A head signed by the trusted key names the version too; one signed by another key cannot.
    expect(unknown.learnVersionFromHead({ kind: 'notification', signerFingerprintSha256: fp(v2) }, { version: 7, fingerprintSha256: fp(v2) })).toMatchObject({ version: 7, versionKnown: true });
    expect((await refusal(() => unknown.learnVersionFromHead({ kind: 'notification', signerFingerprintSha256: fp(a2) }, { version: 7, fingerprintSha256: fp(v2) }))).reason).toBe('untrusted-key');
  });

  it('reads a cm-trust-state/1 file with its version unknown, and writes cm-trust-state/2', async () => {
    const v1doc = { format: 'cm-trust-state/1', version: 3, certificate: v1.certificate.toString('base64'), fingerprintSha256: fp(v1), replaced: [], lastSeq: { notification: 4 } };
    const state = parseTrustState(JSON.stringify(v1doc));
    expect(state).toMatchObject({ version: 3, versionKnown: false, lastSeq: { notification: 4 }, lastHead: null });
    expect(JSON.parse(serializeTrustState(state)).format).toBe('cm-trust-state/2');
  });
});
