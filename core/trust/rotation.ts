/**
 * Certificate renewal as a key rotation agents can follow, after TUF's root rotation: the new
 * certificate is announced in a statement signed by BOTH the old key (so only the holder of the
 * trusted key can name a successor) and the new key (so nobody can name a key they do not hold).
 * The statement is a JWS JSON General Serialization with exactly those two signatures.
 *
 * Versions count certificates: the first one an agent is given is version 1; the statement
 * that introduces version k+1 names version k and its fingerprint as `previous`. Statements do
 * not expire: an agent that was offline for a year must still walk the chain (like TUF, which
 * ignores intermediate roots' expiry). Freshness is the job of each message's `exp`.
 */
import { GeneralSign, flattenedVerify } from 'jose';
import { z } from 'zod';
import { badInput } from '../errors.js';
import { TrustError } from './errors.js';
import { checkShape, checkSize, decodeB64url, parseJsonBytes, parseJsonText } from './codec.js';
import { parseCertificate, type ParsedCertificate } from './certificate.js';
import { joseFailure, readHeader } from './jws.js';
import { checkSigner, type Signer } from './signer.js';
import { JWS_ALG, MAX_ROTATION_STATEMENT_BYTES, ROTATION_TYP } from './profile.js';

const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const version = z.number().int().min(1).max(Number.MAX_SAFE_INTEGER);

const rotationPayloadSchema = z.strictObject({
  kind: z.literal('rotation'),
  version: version.min(2),
  previous: z.strictObject({ fingerprintSha256: hex64, version }),
  // Standard base64 with padding, as in the JWS `x5c` parameter.
  next: z.strictObject({ certificate: z.string().min(1).max(16 * 1024), fingerprintSha256: hex64 }),
  iat: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

export type RotationPayload = z.infer<typeof rotationPayloadSchema>;

/** No unprotected `header` members: everything that matters is covered by the signatures. */
const generalJwsSchema = z.strictObject({
  payload: z.string(),
  signatures: z.array(z.strictObject({ protected: z.string(), signature: z.string() })).min(1).max(8),
});

/** One verified step of the chain: the certificate the agent may trust next. */
export interface RotationStep {
  readonly version: number;
  readonly certificate: Buffer;
  readonly fingerprintSha256: string;
  readonly previousFingerprintSha256: string;
  readonly issuedAt: Date;
}

/** A statement read (not yet verified): what followRotations sorts by, before paying for crypto. */
export interface ParsedRotationStatement {
  readonly jws: z.infer<typeof generalJwsSchema>;
  readonly payload: RotationPayload;
}

/**
 * Server side. `version` is the version the NEW certificate gets (the old one is version-1).
 * Returns the statement as a JSON string, ready to be stored in the chain and served.
 */
export async function createRotationStatement(oldSigner: Signer, newSigner: Signer, options: { version: number; now?: Date }): Promise<string> {
  const oldCert = checkSigner(oldSigner, 'old');
  const newCert = checkSigner(newSigner, 'new');
  if (!Number.isSafeInteger(options.version) || options.version < 2)
    throw badInput('ROTATION_VERSION_INVALID', 'The new certificate version must be a whole number, at least 2.');
  if (oldCert.publicKey.export({ type: 'spki', format: 'der' }).equals(newCert.publicKey.export({ type: 'spki', format: 'der' })))
    throw badInput('ROTATION_SAME_KEY', 'A renewal needs a new key; the new certificate uses the old key.');
  const payload: RotationPayload = {
    kind: 'rotation',
    version: options.version,
    previous: { fingerprintSha256: oldCert.fingerprintSha256, version: options.version - 1 },
    next: { certificate: newCert.der.toString('base64'), fingerprintSha256: newCert.fingerprintSha256 },
    iat: Math.floor((options.now ?? new Date()).getTime() / 1000),
  };
  if (!rotationPayloadSchema.safeParse(payload).success) throw badInput('ROTATION_TIME_INVALID', 'The rotation time is not a valid date.');
  const jws = await new GeneralSign(Buffer.from(JSON.stringify(payload), 'utf8'))
    .addSignature(oldSigner.privateKey)
    .setProtectedHeader({ alg: JWS_ALG, typ: ROTATION_TYP, 'x5t#S256': oldCert.thumbprint })
    .addSignature(newSigner.privateKey)
    .setProtectedHeader({ alg: JWS_ALG, typ: ROTATION_TYP, 'x5t#S256': newCert.thumbprint })
    .sign();
  return JSON.stringify(jws);
}

/** Reads a statement's structure and payload without verifying anything. */
export function parseRotationStatement(statement: string): ParsedRotationStatement {
  if (typeof statement !== 'string') throw new TrustError('malformed', 'The rotation statement is not text');
  checkSize(statement, MAX_ROTATION_STATEMENT_BYTES, 'The rotation statement');
  const jws = checkShape(generalJwsSchema, parseJsonText(statement, 'The rotation statement'), 'The rotation statement');
  const payloadBytes = decodeB64url(jws.payload, 'The rotation statement payload');
  const payload = checkShape(rotationPayloadSchema, parseJsonBytes(payloadBytes, 'The rotation statement payload'), 'The rotation statement payload');
  return { jws, payload };
}

/**
 * Agent side: one step from the trusted certificate (at trustedVersion) to the next. Checks,
 * in an order that gives the most precise reason: the step goes forward by exactly one; it
 * starts at the trusted certificate; the new certificate is sound and different; then both
 * signatures verify, one with the trusted key and one with the new key.
 */
export async function verifyRotationStep(statement: string, trustedCert: Buffer, trustedVersion: number): Promise<RotationStep> {
  return verifyParsedRotationStep(parseRotationStatement(statement), trustedCert, trustedVersion);
}

/** verifyRotationStep for a statement already read by parseRotationStatement (followRotations reads each once). */
export async function verifyParsedRotationStep(statement: ParsedRotationStatement, trustedCert: Buffer, trustedVersion: number): Promise<RotationStep> {
  if (!Number.isSafeInteger(trustedVersion) || trustedVersion < 1) throw new TrustError('malformed', 'The trusted version is not a positive whole number');
  const { jws, payload } = statement;
  if (jws.signatures.length === 1) throw new TrustError('rotation-not-cross-signed', 'The rotation statement has a single signature; it needs the old and the new key');
  if (jws.signatures.length !== 2) throw new TrustError('malformed', `The rotation statement has ${jws.signatures.length} signatures, not 2`);

  const trusted = parseCertificate(trustedCert, 'The trusted certificate');
  if (payload.version <= trustedVersion)
    throw new TrustError('rollback', `The rotation statement is for version ${payload.version}; the agent already trusts version ${trustedVersion}`, {
      version: payload.version,
      trustedVersion,
    });
  if (payload.version !== trustedVersion + 1 || payload.previous.version !== trustedVersion)
    throw new TrustError('chain-broken', `The rotation statement leads from version ${payload.previous.version} to ${payload.version}; the agent is at version ${trustedVersion}`, {
      version: payload.version,
      trustedVersion,
    });
  if (payload.previous.fingerprintSha256 !== trusted.fingerprintSha256)
    throw new TrustError('chain-broken', 'The rotation statement does not start at the trusted certificate', { previous: payload.previous.fingerprintSha256 });

  const next = readNextCertificate(payload);
  const spki = (c: ParsedCertificate) => c.publicKey.export({ type: 'spki', format: 'der' });
  if (spki(next).equals(spki(trusted)))
    throw new TrustError('rotation-not-cross-signed', 'The new certificate uses the trusted key; one key cannot cross-sign with itself');

  // The headers' thumbprints say which signature claims which key; the claims are then proven.
  const signatures = jws.signatures.map((s) => ({ ...s, header: readHeader(parseJsonBytes(decodeB64url(s.protected, 'A rotation signature header'), 'A rotation signature header'), ROTATION_TYP, 'rotation statement') }));
  for (const s of signatures) decodeB64url(s.signature, 'A rotation signature');
  const byOld = signatures.filter((s) => s.header['x5t#S256'] === trusted.thumbprint);
  const byNew = signatures.filter((s) => s.header['x5t#S256'] === next.thumbprint);
  if (byOld.length !== 1 || byNew.length !== 1)
    throw new TrustError('rotation-not-cross-signed', 'The rotation statement is not signed by both the trusted key and the new key');
  for (const [s, cert] of [[byOld[0]!, trusted], [byNew[0]!, next]] as const) {
    try {
      await flattenedVerify({ protected: s.protected, payload: jws.payload, signature: s.signature }, cert.publicKey, { algorithms: [JWS_ALG] });
    } catch (cause) {
      throw joseFailure(cause, 'rotation statement');
    }
  }
  return {
    version: payload.version,
    certificate: next.der,
    fingerprintSha256: next.fingerprintSha256,
    previousFingerprintSha256: trusted.fingerprintSha256,
    issuedAt: new Date(payload.iat * 1000),
  };
}

function readNextCertificate(payload: RotationPayload): ParsedCertificate {
  const text = payload.next.certificate;
  const der = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || der.toString('base64') !== text)
    throw new TrustError('malformed', 'The new certificate is not canonical base64');
  const next = parseCertificate(der, 'The new certificate');
  if (next.fingerprintSha256 !== payload.next.fingerprintSha256)
    throw new TrustError('malformed', 'The new certificate does not match the fingerprint the statement gives for it');
  return next;
}

/**
 * True when `statement` carries a valid signature by `certificate`'s key (whatever else it
 * says). Used to learn which version the trusted certificate is from a chain: only the holder
 * of the trusted key can sign a statement that names it, so such a signature is proof enough.
 */
export async function isSignedBy(statement: ParsedRotationStatement, certificate: Buffer): Promise<boolean> {
  const cert = parseCertificate(certificate, 'The trusted certificate');
  for (const s of statement.jws.signatures) {
    try {
      const header = readHeader(parseJsonBytes(decodeB64url(s.protected, 'A rotation signature header'), 'A rotation signature header'), ROTATION_TYP, 'rotation statement');
      if (header['x5t#S256'] !== cert.thumbprint) continue;
      await flattenedVerify({ protected: s.protected, payload: statement.jws.payload, signature: s.signature }, cert.publicKey, { algorithms: [JWS_ALG] });
      return true;
    } catch {
      // a signature that does not verify proves nothing; another one may
    }
  }
  return false;
}
