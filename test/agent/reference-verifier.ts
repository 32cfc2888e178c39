/**
 * A second, independent reading of a signed message, for tests only: the jose-based
 * verification core/trust had before the agent's verifier became the one verifier. The
 * differential tests (verifier.test.ts) hold the product's verifier to it, so its fast path
 * cannot drift from what jose and the profile say. It never runs in the product.
 */
import { compactVerify } from 'jose';
import { TrustError } from '../../core/trust/errors.js';
import { checkShape, checkSize, decodeB64url, parseJsonBytes } from '../../core/trust/codec.js';
import { fingerprintToThumbprint, parseCertificate } from '../../core/trust/certificate.js';
import { assertFresh } from '../../core/trust/replay.js';
import { joseFailure, readHeader } from '../../core/trust/jws.js';
import { messagePayloadSchema, type MessageTrust, type VerifiedMessage, type VerifyMessageOptions } from '../../core/trust/message.js';
import { DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_MESSAGE_BYTES, JWS_ALG, MESSAGE_TYP } from '../../core/trust/profile.js';

const toSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

/**
 * Agent side. Returns the verified claims, or throws a TrustError for anything wrong with the
 * message. Options that would silently switch a check off (a NaN clock, a NaN bound) are a
 * programming error and throw a RangeError before the message is looked at.
 */
export async function referenceVerify(jws: string | Uint8Array, trust: MessageTrust, options: VerifyMessageOptions = {}): Promise<VerifiedMessage> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const now = toSeconds(options.now ?? new Date());
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError('referenceVerify: maxBytes must be a positive integer');
  if (!Number.isSafeInteger(now)) throw new RangeError('referenceVerify: now must be a valid Date');
  if (!Number.isSafeInteger(skew) || skew < 0) throw new RangeError('referenceVerify: clockSkewSeconds must be a non-negative integer');

  if (typeof jws !== 'string' && !(jws instanceof Uint8Array)) throw new TrustError('malformed', 'The message is neither text nor bytes');
  checkSize(jws, maxBytes, 'The message');
  // latin1 maps bytes 1:1 to characters; the base64url check below then refuses anything non-ASCII.
  const text = typeof jws === 'string' ? jws : Buffer.from(jws.buffer, jws.byteOffset, jws.byteLength).toString('latin1');

  const parts = text.split('.');
  if (parts.length !== 3) throw new TrustError('malformed', `The message has ${parts.length} parts, not the 3 of a compact JWS`);
  const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
  // The header first, so that 'alg: none' (whose signature part is empty) is judged by its algorithm.
  const header = readHeader(parseJsonBytes(decodeB64url(headerPart, 'The message header'), 'The message header'), MESSAGE_TYP, 'message');
  if (!payloadPart || !signaturePart) throw new TrustError('malformed', 'The message has an empty payload or signature');
  decodeB64url(payloadPart, 'The message payload');
  decodeB64url(signaturePart, 'The message signature');

  // The header's thumbprint only picks the key: it is not trusted until the signature verifies.
  const trusted = parseCertificate(trust.certificate, 'The trusted certificate');
  if (header['x5t#S256'] !== trusted.thumbprint) {
    const claimed = header['x5t#S256'];
    if (trust.replaced.some((fp) => fingerprintToThumbprint(fp) === claimed))
      throw new TrustError('replaced-key', 'The message is signed with a server certificate that was replaced', { thumbprint: claimed });
    throw new TrustError('untrusted-key', 'The message is signed with a certificate this agent does not trust', { thumbprint: claimed });
  }

  let payloadBytes: Uint8Array;
  try {
    ({ payload: payloadBytes } = await compactVerify(text, trusted.publicKey, { algorithms: [JWS_ALG] }));
  } catch (cause) {
    throw joseFailure(cause, 'message');
  }

  const payload = checkShape(messagePayloadSchema, parseJsonBytes(payloadBytes, 'The message payload'), 'The message payload');

  if (options.kinds && !options.kinds.includes(payload.kind))
    throw new TrustError('wrong-kind', `A ${payload.kind} message is not accepted here`, { kind: payload.kind });

  if (payload.iat > now + skew) throw new TrustError('not-yet-valid', 'The message was issued in the future', { iat: payload.iat, now });
  if (now - skew >= payload.exp) throw new TrustError('expired', 'The message has expired', { exp: payload.exp, now });

  assertFresh(trust.lastSeq, payload.kind, payload.seq);
  return { ...payload, signerFingerprintSha256: trusted.fingerprintSha256 };
}
