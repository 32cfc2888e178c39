/**
 * A signed server message: a compact JWS (RFC 7515) made with jose, whose protected header
 * names our algorithm, our type and the signing certificate's `x5t#S256`, and whose payload is
 * `{kind, seq, iat, exp, body}`. This file signs and defines; verifier.ts is the one verifier.
 */
import { CompactSign } from 'jose';
import { z } from 'zod';
import { badInput } from '../errors.js';
import { contentManifestSchema } from './manifest.js';
import type { ReplayState } from './replay.js';
import { checkSigner, type Signer } from './signer.js';
import { DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_TTL_SECONDS, JWS_ALG, MESSAGE_KINDS, MESSAGE_TYP, type MessageKind } from './profile.js';

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
