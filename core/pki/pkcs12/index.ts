/**
 * PKCS#12 (.p12/.pfx) backup files for a server's private key and certificate.
 *
 * Security rule: every password-derived key in a file we write costs an attacker at least as
 * much as 600,000 iterations of PBKDF2-HMAC-SHA256 (OWASP), the MAC's key included, because an
 * attacker guessing passwords attacks whichever derivation is cheapest.
 *
 * - The two encrypted parts use PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC at `iterations`.
 * - The MAC (HMAC-SHA256) takes its key from the PKCS#12 KDF (RFC 7292 B.2, SHA-256, ID 3),
 *   which is the only MAC key derivation other software reads. Its cost is counted in SHA-256
 *   compressions: one PBKDF2-HMAC-SHA256 iteration is two compressions (HMAC's inner and outer
 *   hash over a 32-byte value; the padded-key states are computed once), while one PKCS#12-KDF
 *   iteration hashes the previous 32-byte digest, which is one compression. So the MAC needs
 *   2 × 600,000 = 1,200,000 iterations to cost a password guess as much as the PBKDF2 parts;
 *   `macIterations` therefore defaults to 2 × `iterations`.
 *
 * Speed: the PBKDF2 derivations run natively on the libuv threadpool (two in parallel), the MAC
 * KDF's 1.2M iterations run on the main thread at the same time in a WebAssembly SHA-256
 * loop (sha256-iterate.ts), yielding to the event loop every ~10 ms.
 *
 * Passwords: PBES2 uses the password's UTF-8 bytes (as OpenSSL 3 does); the PKCS#12 KDF uses it
 * as a BMPString (UTF-16BE plus two zero bytes). Passwords must be well-formed Unicode.
 * The empty password: encodePkcs12 refuses it (a backup without a password protects nothing);
 * decodePkcs12 accepts it the way OpenSSL does, trying the MAC first with the empty BMPString
 * (two zero bytes) and then with no password bytes at all, so password-less exports open.
 *
 * Errors are always CertManagerError: 'usage' for bad arguments, 'wrong-password' when the MAC
 * does not verify, 'bad-input' (codes PKCS12_*) for anything wrong with the file or the parts.
 */
import { createHash, KeyObject } from 'node:crypto';
import { CertManagerError, usageError } from '../../errors.js';
import { buildPfxWith, startProtection, type PfxParams, type PfxProtection } from './encode.js';
import { decodePfx, type DecodedPfx } from './decode.js';
import { badOption, CODES, malformed } from './failures.js';
import { LIMITS } from './limits.js';
import { certificatePublicKeyDer, keyMismatch, readPfxCertificate, publicKeyDerOf } from './match.js';

export const DEFAULT_ITERATIONS = 600_000;

export interface Pkcs12Input {
  privateKey: KeyObject;
  /** DER of the leaf certificate. */
  certificate: Buffer;
  /** Extra DER certificates (intermediates, root). */
  chain?: Buffer[];
  friendlyName?: string;
}

interface EncodeOptions {
  /** PBKDF2 count, default 600000. Lower counts break the security rule: tests and interop checks only. */
  iterations?: number;
  /** PKCS#12-KDF count for the MAC; default 2 × iterations (see the comment at the top). */
  macIterations?: number;
}

/** What decodePkcs12 returns (defined beside the decoder). */
export type Pkcs12Contents = DecodedPfx;

export interface DecodeOptions {
  /** Default 10_000_000: higher counts are refused as hostile (bad input) before any work. */
  maxIterations?: number;
}

/** Highest count encodePkcs12 accepts, so that what we write we also read with default options. */
const MAX_ENCODE_ITERATIONS = LIMITS.maxIterations;
const DEFAULT_MAX_ITERATIONS = LIMITS.maxIterations;
const MAX_CHAIN = 16;
const MAX_FRIENDLY_NAME = 256;
const MAX_PASSWORD = 1024;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function checkPassword(password: unknown): asserts password is string {
  if (typeof password !== 'string') throw usageError(CODES.badArgument, 'The password must be text.');
  if (password.length > MAX_PASSWORD) throw usageError(CODES.badArgument, `The password is longer than ${MAX_PASSWORD} characters. Use a shorter one.`);
  if (LONE_SURROGATE.test(password)) throw usageError(CODES.badArgument, 'The password contains invalid characters. Type it again.');
}

function checkCount(name: string, value: unknown, max: number): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1 || value > max)
    throw badOption(name, `${name} must be a whole number from 1 to ${max}.`);
  return value;
}

const isBytes = (b: unknown): b is Buffer => Buffer.isBuffer(b) || b instanceof Uint8Array;
const asBuffer = (b: Uint8Array): Buffer => (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength));

/** The password and counts checked, as the encoder takes them. */
function protectionParams(password: string, options: EncodeOptions): PfxParams {
  checkPassword(password);
  if (password === '')
    throw usageError(CODES.emptyPassword, 'A backup password is required. Type a password to protect the backup file.');
  const iterations = checkCount('iterations', options.iterations ?? DEFAULT_ITERATIONS, MAX_ENCODE_ITERATIONS);
  const macIterations = checkCount('macIterations', options.macIterations ?? 2 * iterations, MAX_ENCODE_ITERATIONS);
  return { iterations, macIterations };
}

/** The keys that will protect one PKCS#12 file, being derived (startPkcs12Protection). */
export type Pkcs12Protection = PfxProtection;

/**
 * Checks the password and starts deriving the keys that will protect one PKCS#12 file (about
 * 0.3 s of work at full strength). They depend on nothing but the password and fresh salts, so
 * generate and renew start this before the RSA key is made and the two overlap; pass the result
 * to encodePkcs12 instead of the password. Used for one file only.
 */
export function startPkcs12Protection(password: string, options: EncodeOptions = {}): Pkcs12Protection {
  return startProtection(password, protectionParams(password, options));
}

/**
 * Writes the key, its certificate and the chain into a password-protected PKCS#12 file: with a
 * password, or with keys already being derived from one (startPkcs12Protection; `options` is
 * then not read).
 */
export async function encodePkcs12(input: Pkcs12Input, password: string | Pkcs12Protection, options: EncodeOptions = {}): Promise<Buffer> {
  const params = typeof password === 'string' ? protectionParams(password, options) : undefined;

  if (!input || typeof input !== 'object') throw usageError(CODES.badArgument, 'Nothing to back up: pass a private key and a certificate.');
  const { privateKey, certificate, chain = [], friendlyName } = input;
  if (!(privateKey instanceof KeyObject) || privateKey.type !== 'private')
    throw usageError(CODES.badArgument, 'The key to back up must be a private key.');
  if (!isBytes(certificate) || !Array.isArray(chain) || !chain.every(isBytes))
    throw usageError(CODES.badArgument, 'Certificates must be given as DER bytes.');
  if (chain.length > MAX_CHAIN) throw usageError(CODES.badArgument, `The chain has more than ${MAX_CHAIN} certificates. Pass only the issuing chain.`);
  if (friendlyName !== undefined && (typeof friendlyName !== 'string' || friendlyName.length > MAX_FRIENDLY_NAME || LONE_SURROGATE.test(friendlyName)))
    throw usageError(CODES.badArgument, `The friendly name must be text of at most ${MAX_FRIENDLY_NAME} characters.`);

  const leafDer = asBuffer(certificate);
  const leaf = readPfxCertificate(leafDer, 'certificate');
  const chainDer = chain.map((c, i) => {
    const der = asBuffer(c);
    readPfxCertificate(der, `chain certificate number ${i + 1}`);
    return der;
  });
  const spki = certificatePublicKeyDer(leaf);
  if (!spki || !spki.equals(publicKeyDerOf(privateKey))) throw keyMismatch('The certificate does not belong to the private key.');

  const keyPkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  // localKeyId ties the key bag to its certificate bag; OpenSSL uses the certificate's SHA-1.
  const localKeyId = createHash('sha1').update(leafDer).digest();
  try {
    // Started only now when given a password: a refused input costs no key derivation.
    const protection = typeof password === 'string' ? startProtection(password, params!) : password;
    return await buildPfxWith(
      {
        keys: [{ pkcs8: keyPkcs8, friendlyName, localKeyId }],
        certs: [{ der: leafDer, friendlyName, localKeyId }, ...chainDer.map((der) => ({ der }))],
      },
      protection,
    );
  } finally {
    keyPkcs8.fill(0);
  }
}

/**
 * Opens a PKCS#12 file: checks its MAC with the password, decrypts it, and returns the single
 * private key, the certificate that belongs to it, and the other certificates.
 */
export async function decodePkcs12(data: Buffer, password: string, options: DecodeOptions = {}): Promise<Pkcs12Contents> {
  checkPassword(password);
  const maxIterations = checkCount('maxIterations', options.maxIterations ?? DEFAULT_MAX_ITERATIONS, Number.MAX_SAFE_INTEGER);
  if (!isBytes(data)) throw usageError(CODES.badArgument, 'The PKCS#12 file must be given as bytes.');
  try {
    return await decodePfx(asBuffer(data), password, maxIterations);
  } catch (e) {
    if (e instanceof CertManagerError) throw e;
    // Anything else is a parser or crypto corner we did not foresee: still the file's fault.
    throw malformed('unexpected', e);
  }
}
