/**
 * Strict decoding of the untrusted text inside a JWS. Node's base64url decoder is lenient
 * (it skips stray characters and ignores the unused low bits of the last character), so
 * several strings would decode to one signature; we accept only the canonical encoding, which
 * makes "the same message" mean "the same string" for logs and for the property test.
 */
import type { z } from 'zod';
import { TrustError } from './errors.js';

const B64URL = /^[A-Za-z0-9_-]*$/;

export function decodeB64url(text: string, what: string): Buffer {
  if (!B64URL.test(text) || text.length % 4 === 1) throw new TrustError('malformed', `${what} is not base64url`);
  const bytes = Buffer.from(text, 'base64url');
  if (bytes.toString('base64url') !== text) throw new TrustError('malformed', `${what} is not canonical base64url`);
  return bytes;
}

// fatal: invalid UTF-8 is an error, not U+FFFD; ignoreBOM: a BOM is kept, so JSON.parse refuses it.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function parseJsonBytes(bytes: Uint8Array, what: string): unknown {
  try {
    return JSON.parse(utf8.decode(bytes));
  } catch (cause) {
    throw new TrustError('malformed', `${what} is not JSON`, {}, cause);
  }
}

export function parseJsonText(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new TrustError('malformed', `${what} is not JSON`, {}, cause);
  }
}

/** Runs a schema check and turns its failure (or a stack overflow on absurd nesting) into 'malformed'. */
export function checkShape<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  let result: z.ZodSafeParseResult<T>;
  try {
    result = schema.safeParse(value);
  } catch (cause) {
    throw new TrustError('malformed', `${what} could not be checked`, {}, cause);
  }
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  // Issue texts can quote key names chosen by the sender; keep the log line short.
  const text = `${what} is not valid${where}: ${issue?.message ?? 'unknown problem'}`.slice(0, 200);
  throw new TrustError('malformed', text);
}

/** Byte length of text or bytes without copying; refuses before any decoding happens. */
export function checkSize(input: string | Uint8Array, maxBytes: number, what: string): void {
  // A JS string's UTF-8 length is at least its UTF-16 length, so the cheap test comes first.
  const size = typeof input === 'string' ? (input.length > maxBytes ? input.length : Buffer.byteLength(input, 'utf8')) : input.byteLength;
  if (size > maxBytes) throw new TrustError('oversized', `${what} is ${size} bytes, more than the ${maxBytes} accepted`, { size, maxBytes });
}
