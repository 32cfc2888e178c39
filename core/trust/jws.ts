/**
 * The two things messages and rotation statements share about JWS: how a protected header of
 * our profile is read, and how jose's complaints become refusal reasons.
 */
import { z } from 'zod';
import { TrustError } from './errors.js';
import { checkShape } from './codec.js';
import { JWS_ALG } from './profile.js';

/** Only these header parameters exist in our profile; `crit`, `jku`, `jwk`, `x5u`, `b64`... are refused. */
const headerSchema = z.strictObject({
  alg: z.string(),
  typ: z.string(),
  'x5t#S256': z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'expected a base64url SHA-256 thumbprint'),
});

/**
 * Reads a protected header of our profile. The algorithm is judged first: a header naming any
 * other algorithm ('none', HS256 with the public key as the secret, even RS256) is an attempt
 * to pass without our signature, so it is 'forged-signature' rather than merely 'malformed'.
 */
export function readHeader(value: unknown, typ: string, what: string): z.infer<typeof headerSchema> {
  const alg = typeof value === 'object' && value !== null ? (value as Record<string, unknown>).alg : undefined;
  if (typeof alg === 'string' && alg !== JWS_ALG)
    throw new TrustError('forged-signature', `The ${what} names the algorithm "${alg.slice(0, 20)}"; only ${JWS_ALG} is accepted`, { alg: alg.slice(0, 20) });
  const header = checkShape(headerSchema, value, `The ${what} header`);
  if (header.typ !== typ) throw new TrustError('wrong-kind', `The ${what} has type "${header.typ.slice(0, 40)}", not "${typ}"`, { typ: header.typ.slice(0, 40) });
  return header;
}

/** jose's verdicts: a signature that does not verify is a forgery; any other complaint is malformed input. */
export function joseFailure(cause: unknown, what: string): TrustError {
  const code = (cause as { code?: unknown } | null)?.code;
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED')
    return new TrustError('forged-signature', `The ${what} signature does not verify`, {}, cause);
  return new TrustError('malformed', `The ${what} could not be verified`, {}, cause);
}
