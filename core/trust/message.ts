/**
 * A signed server message: a compact JWS (RFC 7515) made with jose, whose protected header
 * names our algorithm, our type and the signing certificate's `x5t#S256`, and whose payload is
 * `{kind, seq, iat, exp, body}`.
 *
 * Verification order matters: the size bound comes before any decoding; the header is read
 * (strictly) only to choose the key; the payload is parsed only after the signature verified;
 * then kind, time and replay are checked against the caller's trust state. Every refusal is a
 * TrustError with a reason; nothing else escapes.
 */
import { CompactSign, compactVerify } from 'jose';
import { z } from 'zod';
import { badInput } from '../errors.js';
import { TrustError } from './errors.js';
import { checkShape, checkSize, decodeB64url, parseJsonBytes } from './codec.js';
import { fingerprintToThumbprint, parseCertificate } from './certificate.js';
import { contentManifestSchema } from './manifest.js';
import { assertFresh, type ReplayState } from './replay.js';
import { joseFailure, readHeader } from './jws.js';
import { checkSigner, type Signer } from './signer.js';
import {
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_TTL_SECONDS,
  JWS_ALG,
  MESSAGE_KINDS,
  MESSAGE_TYP,
  type MessageKind,
} from './profile.js';

const seqSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const secondsSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
const claims = { seq: seqSchema, iat: secondsSchema, exp: secondsSchema };
const GENERIC_KINDS = MESSAGE_KINDS.filter((k): k is Exclude<MessageKind, 'hotfix-manifest'> => k !== 'hotfix-manifest');

/**
 * The payload. Strict: a claim we do not know is refused rather than ignored, since it might
 * carry meaning this agent would miss; new fields go into `body`. Bodies are JSON; the
 * hotfix manifest's body has its own schema because the agent acts on it directly.
 */
export const messagePayloadSchema = z
  .discriminatedUnion('kind', [
    z.strictObject({ kind: z.literal('hotfix-manifest'), ...claims, body: contentManifestSchema }),
    z.strictObject({ kind: z.enum(GENERIC_KINDS), ...claims, body: z.json() }),
  ])
  .refine((p) => p.exp > p.iat, { message: 'exp must be after iat', path: ['exp'] });

export type MessagePayload = z.infer<typeof messagePayloadSchema>;

/** A message that verified: its claims plus the fingerprint of the certificate that signed it. */
export type VerifiedMessage = MessagePayload & { readonly signerFingerprintSha256: string };

/** What verifyMessage needs from the agent's trust state (a TrustState fits). */
export interface MessageTrust {
  /** DER of the one certificate currently trusted. */
  readonly certificate: Buffer;
  /** Hex fingerprints of certificates rotated away from, to tell 'replaced-key' from 'untrusted-key'. */
  readonly replaced: readonly string[];
  readonly lastSeq: ReplayState;
}

export interface SignMessageInput {
  kind: MessageKind;
  /** From the server's one counter for all kinds, never reused (see replay.ts). */
  seq: number;
  /** The kind's body; must be JSON (a hotfix manifest for 'hotfix-manifest'). */
  payload: unknown;
  ttlSeconds?: number;
  now?: Date;
  /** Refuse to produce a message agents would refuse as oversized. */
  maxBytes?: number;
}

export interface VerifyMessageOptions {
  now?: Date;
  maxBytes?: number;
  /** The kinds this channel takes; anything else is 'wrong-kind'. Default: every kind. */
  kinds?: readonly MessageKind[];
  clockSkewSeconds?: number;
}

const toSeconds = (d: Date) => Math.floor(d.getTime() / 1000);

/** Server side. Signs with PS256; the result is what every agent's verifyMessage accepts. */
export async function signMessage(signer: Signer, input: SignMessageInput): Promise<string> {
  const cert = checkSigner(signer);
  const now = input.now ?? new Date();
  const ttl = input.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl < 1) throw badInput('MESSAGE_TTL_INVALID', 'The message lifetime must be a whole number of seconds, at least 1.');
  const iat = toSeconds(now);
  const payload = { kind: input.kind, seq: input.seq, iat, exp: iat + ttl, body: input.payload };
  let text: string;
  try {
    text = JSON.stringify(payload);
  } catch (cause) {
    throw badInput('MESSAGE_BODY_INVALID', 'The message body cannot be written as JSON.', {}, cause);
  }
  // Check exactly the bytes that will be signed, with the verifier's own schema.
  const bytes = Buffer.from(text, 'utf8');
  const round = messagePayloadSchema.safeParse(JSON.parse(text));
  if (!round.success) {
    const issue = round.error.issues[0];
    throw badInput('MESSAGE_INVALID', `The message is not valid${issue?.path.length ? ` at ${issue.path.join('.')}` : ''}: ${issue?.message ?? 'unknown problem'}.`);
  }
  const jws = await new CompactSign(bytes).setProtectedHeader({ alg: JWS_ALG, typ: MESSAGE_TYP, 'x5t#S256': cert.thumbprint }).sign(signer.privateKey);
  const maxBytes = input.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (jws.length > maxBytes)
    throw badInput('MESSAGE_TOO_LARGE', `The signed message is ${jws.length} bytes; agents accept at most ${maxBytes}. Send large content through a hotfix manifest.`, {
      size: jws.length,
      maxBytes,
    });
  return jws;
}

/**
 * Agent side. Returns the verified claims, or throws a TrustError for anything wrong with the
 * message. Options that would silently switch a check off (a NaN clock, a NaN bound) are a
 * programming error and throw a RangeError before the message is looked at.
 */
export async function verifyMessage(jws: string | Uint8Array, trust: MessageTrust, options: VerifyMessageOptions = {}): Promise<VerifiedMessage> {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const now = toSeconds(options.now ?? new Date());
  const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
  if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError('verifyMessage: maxBytes must be a positive integer');
  if (!Number.isSafeInteger(now)) throw new RangeError('verifyMessage: now must be a valid Date');
  if (!Number.isSafeInteger(skew) || skew < 0) throw new RangeError('verifyMessage: clockSkewSeconds must be a non-negative integer');

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
