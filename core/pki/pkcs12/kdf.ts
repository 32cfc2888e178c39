/**
 * The PKCS#12 key-derivation function (RFC 7292 appendix B.2), used for the file's MAC key
 * (ID 3) and for the legacy PKCS#12 PBE ciphers' keys (ID 1) and IVs (ID 2).
 *
 * Its cost is `iterations` plain hashes of the previous digest. For SHA-256 that loop runs in
 * sha256Iterate32 (one WebAssembly compression per iteration); for other digests it calls
 * node:crypto per iteration, which is fine for the small counts legacy files use. Either way the
 * loop runs in slices and yields to the event loop between them, so a 1.2M-iteration MAC neither
 * freezes the app nor stops the libuv threadpool's PBKDF2 callbacks from being handled meanwhile.
 */
import { hash } from 'node:crypto';
import { setImmediate } from 'node:timers';
import type { Digest } from './oids.js';
import { sha256Iterate32, sha256StateFrom, sha256StateTo } from './sha256-iterate.js';

export type KdfId = 1 | 2 | 3;
export const KDF_ID_KEY: KdfId = 1;
export const KDF_ID_IV: KdfId = 2;
export const KDF_ID_MAC: KdfId = 3;

/** ~10 ms of work per slice before giving the event loop a turn. */
const SHA256_SLICE = 65_536;
const GENERIC_SLICE = 16_384;

const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The password as the PKCS#12 KDF wants it: a BMPString, i.e. UTF-16 big-endian code units
 * followed by two zero bytes. Characters outside the BMP become surrogate pairs, as OpenSSL's
 * OPENSSL_utf82uni does. The empty password becomes just the two zero bytes (OpenSSL's "").
 */
export function bmpPassword(password: string): Buffer {
  const le = Buffer.from(password, 'utf16le');
  const out = Buffer.alloc(le.length + 2);
  for (let i = 0; i < le.length; i += 2) {
    out[i] = le[i + 1]!;
    out[i + 1] = le[i]!;
  }
  return out;
}

/** Hashes `digest` n more times: d := H(d). */
export async function iterateDigest(digest: Digest, first: Buffer, n: number): Promise<Buffer> {
  if (digest.name === 'sha256') {
    const state = sha256StateFrom(first);
    for (let left = n; left > 0; ) {
      const slice = Math.min(left, SHA256_SLICE);
      sha256Iterate32(state, slice);
      left -= slice;
      if (left > 0) await yieldToEventLoop();
    }
    return sha256StateTo(state);
  }
  let d = first;
  for (let left = n; left > 0; ) {
    const slice = Math.min(left, GENERIC_SLICE);
    for (let i = 0; i < slice; i++) d = hash(digest.name, d, 'buffer');
    left -= slice;
    if (left > 0) await yieldToEventLoop();
  }
  return d;
}

/** `src` repeated and cut to exactly `length` bytes. */
function repeatTo(src: Buffer, length: number): Buffer {
  const out = Buffer.alloc(length);
  if (src.length === 0) return out;
  for (let i = 0; i < length; i += src.length) src.copy(out, i, 0, Math.min(src.length, length - i));
  return out;
}

/**
 * RFC 7292 B.2. `password` is already encoded (see bmpPassword; an empty Buffer is the "absent
 * password" variant some producers use). Returns `length` bytes.
 */
export async function pkcs12Kdf(digest: Digest, password: Buffer, salt: Buffer, id: KdfId, iterations: number, length: number): Promise<Buffer> {
  if (!Number.isSafeInteger(iterations) || iterations < 1) throw new RangeError('pkcs12Kdf: iterations must be >= 1');
  const u = digest.outputBytes;
  const v = digest.blockBytes;
  const D = Buffer.alloc(v, id);
  const S = repeatTo(salt, v * Math.ceil(salt.length / v));
  const P = repeatTo(password, v * Math.ceil(password.length / v));
  const I = Buffer.concat([S, P]);
  const blocks = Math.ceil(length / u);
  const out = Buffer.alloc(blocks * u);
  for (let i = 0; i < blocks; i++) {
    // A_i = H^r(D || I)
    const first = hash(digest.name, Buffer.concat([D, I]), 'buffer');
    const A = await iterateDigest(digest, first, iterations - 1);
    A.copy(out, i * u);
    if (i + 1 < blocks) {
      // I_j := (I_j + B + 1) mod 2^(8v) for each v-byte block I_j of I, where B = A repeated to v bytes.
      const B = repeatTo(A, v);
      for (let j = 0; j < I.length; j += v) {
        let carry = 1;
        for (let k = v - 1; k >= 0; k--) {
          const sum = I[j + k]! + B[k]! + carry;
          I[j + k] = sum & 0xff;
          carry = sum >>> 8;
        }
      }
    }
  }
  return out.subarray(0, length);
}
