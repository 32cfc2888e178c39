/**
 * The one message verifier (agents and verifyMessage both use it). Verification order matters:
 * the size bound comes before any decoding; the header is read (strictly) only to choose the
 * key; the payload is parsed only after the signature verified; then kind, time and replay are
 * checked against the caller's trust state. Every refusal is a TrustError with a reason.
 * It is synchronous and without per-message setup cost:
 * - the trusted certificate is parsed once (X.509 decoding and the key import are cached per
 *   certificate), not once per message;
 * - the signature is checked with node:crypto's RSA-PSS verify (OpenSSL) on the exact signing
 *   input, where jose goes through WebCrypto (a key conversion and a thread-pool round trip per
 *   message): jose's compactVerify reaches 0.15-0.4 of raw crypto.verify here;
 * - for bytes as they come off the wire, the common case takes a fast path: the three parts
 *   are found and base64url-decoded (with the canonical-encoding check) in one pass over the
 *   bytes into reused buffers, the protected header is compared with the last one read, and
 *   the payload is checked without zod when it is plainly valid. Anything unusual leaves the
 *   fast path for the strict one, which gives the refusal.
 * Everything jose would check for our profile is checked: the strict header (only alg, typ,
 * x5t#S256; alg must be PS256, so no `b64`, `crit`, `jwk`...), canonical base64url in all
 * three parts, and a key of at least 2048 bits (parseCertificate). A differential test holds
 * it to an independent jose-based reading (test/agent/reference-verifier.ts).
 */
import { constants, createHash, verify as cryptoVerify } from 'node:crypto';
import { assertFresh } from './replay.js';
import { messagePayloadSchema, type MessagePayload, type MessageTrust, type VerifiedMessage, type VerifyMessageOptions } from './message.js';
import { MESSAGE_KINDS, DEFAULT_CLOCK_SKEW_SECONDS, DEFAULT_MAX_MESSAGE_BYTES, MESSAGE_TYP } from './profile.js';
import { TrustError } from './errors.js';
import { checkShape, checkSize, decodeB64url, parseJsonBytes } from './codec.js';
import { readHeader } from './jws.js';
import { fingerprintToThumbprint, parseCertificate, type ParsedCertificate } from './certificate.js';

const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 } as const;
const MAX_CACHED = 64;
const DOT = 0x2e;

type Header = ReturnType<typeof readHeader>;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Value of each byte as a base64url digit, -1 for every other byte. */
const DIGIT = new Int8Array(256).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DIGIT[ALPHABET.charCodeAt(i)] = i;

/**
 * Decodes base64url from bytes[start, end) into `out` and returns the number of bytes written,
 * or -1 when the text is not canonical base64url as decodeB64url defines it (a character outside
 * the alphabet, a length of 1 mod 4, or non-zero bits left over in the last character).
 * `flags.high` is 0x80 when any decoded byte is above 0x7f (not ASCII), else 0.
 * Four characters at a time, with one test for a bad character per group: this runs between
 * two RSA verifications, so every instruction here is paid for in the throughput ratio.
 */
function decodeInto(bytes: Uint8Array, start: number, end: number, out: Uint8Array, flags: { high: number }): number {
  const tail = (end - start) & 3;
  if (tail === 1) return -1;
  const groupsEnd = end - tail;
  let bad = 0;
  let high = 0;
  let written = 0;
  for (let i = start; i < groupsEnd; i += 4) {
    const a = DIGIT[bytes[i]!]!;
    const b = DIGIT[bytes[i + 1]!]!;
    const c = DIGIT[bytes[i + 2]!]!;
    const d = DIGIT[bytes[i + 3]!]!;
    bad |= a | b | c | d; // a bad character is -1: the sign bit stays set
    const n = (a << 18) | (b << 12) | (c << 6) | d;
    high |= n;
    out[written] = n >>> 16;
    out[written + 1] = (n >>> 8) & 0xff;
    out[written + 2] = n & 0xff;
    written += 3;
  }
  if (tail === 2) {
    const a = DIGIT[bytes[groupsEnd]!]!;
    const b = DIGIT[bytes[groupsEnd + 1]!]!;
    if ((b & 0x0f) !== 0) return -1; // four bits left over, and they must be zero
    bad |= a | b;
    const n = (a << 2) | (b >> 4);
    high |= n;
    out[written++] = n;
  } else if (tail === 3) {
    const a = DIGIT[bytes[groupsEnd]!]!;
    const b = DIGIT[bytes[groupsEnd + 1]!]!;
    const c = DIGIT[bytes[groupsEnd + 2]!]!;
    if ((c & 0x03) !== 0) return -1; // two bits left over
    bad |= a | b | c;
    const n = (a << 10) | (b << 4) | (c >> 2);
    high |= n;
    out[written++] = n >>> 8;
    out[written++] = n & 0xff;
  }
  if (bad < 0) return -1;
  // Every decoded byte is 8 bits of n; bit 7 of any of them set means "not ASCII".
  flags.high = high & 0x808080 ? 0x80 : 0;
  return written;
}

const FAST_KINDS = new Set<string>(MESSAGE_KINDS.filter((k) => k !== 'hotfix-manifest'));
const PAYLOAD_KEYS = new Set(['kind', 'seq', 'iat', 'exp', 'body']);
const claim = (v: unknown): boolean => Number.isSafeInteger(v) && (v as number) >= 0;

/** True for plain JSON data zod's z.json() accepts: finite numbers, no `__proto__` keys, not absurdly deep. */
function isPlainJson(value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (typeof value !== 'object' || depth > 32) return false;
  if (Array.isArray(value)) {
    for (const v of value) if (!isPlainJson(v, depth + 1)) return false;
    return true;
  }
  for (const key in value) if (key === '__proto__' || !Object.hasOwn(value, key) || !isPlainJson((value as Record<string, unknown>)[key], depth + 1)) return false;
  return true;
}

/**
 * messagePayloadSchema's verdict for the common case, without zod's per-call cost. It only
 * ever says "valid"; anything it is not sure of (and every hotfix manifest) goes to the schema
 * itself, so refusals and their messages are the schema's.
 */
function fastPayload(value: unknown): MessagePayload | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const v = value as Record<string, unknown>;
  let count = 0;
  for (const k in v) {
    if (!Object.hasOwn(v, k) || !PAYLOAD_KEYS.has(k)) return null;
    count++;
  }
  if (count !== 5) return null;
  if (typeof v.kind !== 'string' || !FAST_KINDS.has(v.kind) || !claim(v.seq) || !claim(v.iat) || !claim(v.exp) || (v.exp as number) <= (v.iat as number)) return null;
  return isPlainJson(v.body, 0) ? (v as unknown as MessagePayload) : null;
}

/**
 * JSON from the decoded payload, as parseJsonBytes reads it (strict UTF-8, then JSON). ASCII
 * text reads the same either way, so it goes straight to JSON.parse; anything else, and every
 * failure, takes the strict path, which gives the refusal.
 */
function parsePayload(decoded: Decoded): unknown {
  if (decoded.text !== null) {
    try {
      return JSON.parse(decoded.text);
    } catch {
      // refused below, with parseJsonBytes' message
    }
  }
  return parseJsonBytes(decoded.bytes ?? Buffer.from(decoded.text!, 'latin1'), 'The message payload');
}

/** A decoded payload: its text when it is ASCII; its bytes when it is not (or from the strict path). */
interface Decoded {
  text: string | null;
  bytes: Buffer | null;
}

/** The three parts of a compact JWS, read and decoded; the signing input is the first two as sent. */
interface Parts {
  header: Header;
  payload: Decoded;
  signature: Buffer;
  signingInput: Buffer;
}

interface Cached {
  der: Buffer;
  parsed: ParsedCertificate;
  /** crypto.verify's options for this key, made once rather than per message. */
  verifyOptions: { key: ParsedCertificate['publicKey'] } & typeof PSS;
}

export class MessageVerifier {
  private readonly byObject = new WeakMap<Uint8Array, Cached>();
  private readonly byHash = new Map<string, Cached>();
  /** Protected headers already read: a server signs thousands of messages under one header. */
  private readonly headers = new Map<string, Header>();
  /** The header last read, as bytes: most messages in a row share it. */
  private lastHeader: { bytes: Buffer; header: Header } | null = null;
  /** Reused for every message (verify is synchronous, so they are never shared). */
  private payloadScratch = Buffer.allocUnsafeSlow(4096);
  /** By exact length: a signature is always the key's length, and a whole buffer needs no view. */
  private readonly signatureScratch = new Map<number, Buffer>();
  private readonly flags = { high: 0 };

  /** The trusted certificate, parsed once per distinct DER. */
  certificate(der: Uint8Array): ParsedCertificate {
    return this.cached(der).parsed;
  }

  private cached(der: Uint8Array): Cached {
    const hit = this.byObject.get(der);
    // Compared byte for byte: a cache keyed by object identity must not survive a mutation.
    if (hit && hit.der.equals(der)) return hit;
    const hash = createHash('sha256').update(der).digest('hex');
    let entry = this.byHash.get(hash);
    if (!entry) {
      const parsed = parseCertificate(der, 'The trusted certificate');
      entry = { der: parsed.der, parsed, verifyOptions: { key: parsed.publicKey, ...PSS } };
      if (this.byHash.size >= MAX_CACHED) this.byHash.delete(this.byHash.keys().next().value!);
      this.byHash.set(hash, entry);
    }
    this.byObject.set(der, entry);
    return entry;
  }

  /**
   * Returns the verified claims or throws a TrustError for anything wrong with the message.
   * Options that would silently switch a check off (a NaN clock, a NaN bound) are a
   * programming error and throw a RangeError before the message is looked at.
   */
  verify(jws: string | Uint8Array, trust: MessageTrust, options: VerifyMessageOptions = {}): VerifiedMessage {
    const maxBytes = options.maxBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    const now = Math.floor((options.now ? options.now.getTime() : Date.now()) / 1000);
    const skew = options.clockSkewSeconds ?? DEFAULT_CLOCK_SKEW_SECONDS;
    if (!Number.isSafeInteger(maxBytes) || maxBytes < 1) throw new RangeError('verify: maxBytes must be a positive integer');
    if (!Number.isSafeInteger(now)) throw new RangeError('verify: now must be a valid Date');
    if (!Number.isSafeInteger(skew) || skew < 0) throw new RangeError('verify: clockSkewSeconds must be a non-negative integer');

    if (typeof jws !== 'string' && !(jws instanceof Uint8Array)) throw new TrustError('malformed', 'The message is neither text nor bytes');
    checkSize(jws, maxBytes, 'The message');
    const bytes = typeof jws === 'string' ? null : Buffer.isBuffer(jws) ? jws : Buffer.from(jws.buffer, jws.byteOffset, jws.byteLength);
    const parts = (bytes && this.fastParts(bytes)) ?? this.strictParts(bytes ? bytes.toString('latin1') : (jws as string), bytes);
    return this.finish(parts, trust, options, now, skew);
  }

  /** The common case, straight from the bytes; null for anything the strict path must judge. */
  private fastParts(bytes: Buffer): Parts | null {
    const firstDot = bytes.indexOf(DOT);
    if (firstDot <= 0) return null;
    const secondDot = bytes.indexOf(DOT, firstDot + 1);
    if (secondDot < 0 || secondDot === firstDot + 1 || secondDot === bytes.length - 1 || bytes.indexOf(DOT, secondDot + 1) >= 0) return null;
    const last = this.lastHeader;
    if (!last || last.bytes.length !== firstDot || bytes.compare(last.bytes, 0, firstDot, 0, firstDot) !== 0) return null;

    const payloadLength = secondDot - firstDot - 1;
    if (this.payloadScratch.length < payloadLength) this.payloadScratch = Buffer.allocUnsafeSlow(Math.max(payloadLength, this.payloadScratch.length * 2));
    const scratch = this.payloadScratch;
    const written = decodeInto(bytes, firstDot + 1, secondDot, scratch, this.flags);
    if (written < 0) return null;
    const text = this.flags.high < 0x80 ? scratch.toString('latin1', 0, written) : null;
    const payload: Decoded = { text, bytes: text === null ? Buffer.from(scratch.subarray(0, written)) : null };

    const signatureLength = Math.floor(((bytes.length - secondDot - 1) * 3) / 4);
    let signature = this.signatureScratch.get(signatureLength);
    if (!signature) {
      if (this.signatureScratch.size >= 8) this.signatureScratch.clear();
      this.signatureScratch.set(signatureLength, (signature = Buffer.allocUnsafeSlow(signatureLength)));
    }
    if (decodeInto(bytes, secondDot + 1, bytes.length, signature, this.flags) !== signatureLength) return null;
    return {
      header: last.header,
      payload,
      signature,
      signingInput: bytes.subarray(0, secondDot),
    };
  }

  /** The strict reading, step by step (text or bytes as latin1): it gives every refusal. */
  private strictParts(text: string, bytes: Buffer | null): Parts {
    const parts = text.split('.');
    if (parts.length !== 3) throw new TrustError('malformed', `The message has ${parts.length} parts, not the 3 of a compact JWS`);
    const [headerPart, payloadPart, signaturePart] = parts as [string, string, string];
    const header = this.header(headerPart);
    if (!payloadPart || !signaturePart) throw new TrustError('malformed', 'The message has an empty payload or signature');
    const payloadBytes = decodeB64url(payloadPart, 'The message payload');
    const signature = decodeB64url(signaturePart, 'The message signature');
    const length = headerPart.length + 1 + payloadPart.length;
    const ascii = payloadBytes.every((b) => b < 0x80);
    return {
      header,
      payload: { text: ascii ? payloadBytes.toString('latin1') : null, bytes: payloadBytes },
      signature,
      signingInput: bytes ? bytes.subarray(0, length) : Buffer.from(text.slice(0, length), 'latin1'),
    };
  }

  private header(part: string): Header {
    let header = this.headers.get(part);
    if (!header) {
      header = readHeader(parseJsonBytes(decodeB64url(part, 'The message header'), 'The message header'), MESSAGE_TYP, 'message');
      if (this.headers.size >= MAX_CACHED) this.headers.delete(this.headers.keys().next().value!);
      this.headers.set(part, header);
    }
    this.lastHeader = { bytes: Buffer.from(part, 'latin1'), header };
    return header;
  }

  /** Everything after the parts were read: key, signature, payload, kind, time, replay. */
  private finish(parts: Parts, trust: MessageTrust, options: VerifyMessageOptions, now: number, skew: number): VerifiedMessage {
    const cached = this.cached(trust.certificate);
    const trusted = cached.parsed;
    const claimed = parts.header['x5t#S256'];
    if (claimed !== trusted.thumbprint) {
      if (trust.replaced.some((fp) => fingerprintToThumbprint(fp) === claimed))
        throw new TrustError('replaced-key', 'The message is signed with a server certificate that was replaced', { thumbprint: claimed });
      throw new TrustError('untrusted-key', 'The message is signed with a certificate this agent does not trust', { thumbprint: claimed });
    }

    let valid = false;
    try {
      // The JWS signing input is the two encoded parts as sent (RFC 7515 §5.2).
      valid = cryptoVerify('sha256', parts.signingInput, cached.verifyOptions, parts.signature);
    } catch {
      valid = false;
    }
    if (!valid) throw new TrustError('forged-signature', 'The message signature does not verify');

    const json = parsePayload(parts.payload);
    const fast = fastPayload(json);
    const payload = fast ?? checkShape(messagePayloadSchema, json, 'The message payload');

    if (options.kinds && !options.kinds.includes(payload.kind)) throw new TrustError('wrong-kind', `A ${payload.kind} message is not accepted here`, { kind: payload.kind });

    if (payload.iat > now + skew) throw new TrustError('not-yet-valid', 'The message was issued in the future', { iat: payload.iat, now });
    if (now - skew >= payload.exp) throw new TrustError('expired', 'The message has expired', { exp: payload.exp, now });

    assertFresh(trust.lastSeq, payload.kind, payload.seq);
    if (!fast) return { ...payload, signerFingerprintSha256: trusted.fingerprintSha256 };
    // The fast path's payload is JSON.parse's own fresh object: add to it rather than copy it.
    (fast as { signerFingerprintSha256?: string }).signerFingerprintSha256 = trusted.fingerprintSha256;
    return fast as VerifiedMessage;
  }
}

/** One verifier for the process: in-process agents (the simulator) share its key cache. */
export const sharedVerifier = new MessageVerifier();

/** The same verifier, as a promise (the shape callers outside the agent have always used). */
export async function verifyMessage(jws: string | Uint8Array, trust: MessageTrust, options: VerifyMessageOptions = {}): Promise<VerifiedMessage> {
  return sharedVerifier.verify(jws, trust, options);
}
