/**
 * RSA key generation with Node's own crypto (OpenSSL). node-forge is never used for keys or
 * signatures (its signature verification has a history of forgery CVEs; its JS keygen is slow).
 */
import { generateKeyPair, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { badInput, usageError } from '../errors.js';
import { DEFAULT_KEY_SIZE, KEY_SIZES, type KeySize } from '../limits.js';

export { DEFAULT_KEY_SIZE, type KeySize };
export const MIN_RSA_BITS = KEY_SIZES[0];

const generateKeyPairAsync = promisify(generateKeyPair);

interface RsaKeyPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function assertKeySize(bits: number): KeySize {
  if (!(KEY_SIZES as readonly number[]).includes(bits))
    throw usageError('BAD_KEY_SIZE', `Key size ${bits} is not supported. Use ${KEY_SIZES.slice(0, -1).join(', ')} or ${KEY_SIZES.at(-1)}.`);
  return bits as KeySize;
}

/** Runs on libuv's thread pool, so the event loop (and the UI's progress) stays live. */
export async function generateRsaKeyPair(bits: KeySize = DEFAULT_KEY_SIZE): Promise<RsaKeyPair> {
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: assertKeySize(bits), publicExponent: 0x10001 });
  return { privateKey, publicKey };
}

export function privateKeyToPem(key: KeyObject): string {
  return key.export({ type: 'pkcs8', format: 'pem' }).toString();
}

export function privateKeyFromPem(pem: string | Buffer): KeyObject {
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw badInput('KEY_UNREADABLE', 'The stored private key cannot be read. Restore the certificate from a backup.', {}, cause);
  }
}

/** Public key of a private key, as SubjectPublicKeyInfo DER (for exact comparisons). */
export function spkiDer(key: KeyObject): Buffer {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  return pub.export({ type: 'spki', format: 'der' });
}
