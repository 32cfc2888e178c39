/**
 * RSA private keys for tests, made in a small part of the time key generation takes.
 *
 * Making an RSA key is mostly the search for its two primes: about 140 ms of CPU for 2048 bits on
 * this machine, and the suite made some 260 keys, a tenth of its CPU. Here a process searches for
 * primes once and pairs them: m primes give m·(m−1)/2 keys, so a hundred keys cost 15 primes
 * (about 0.5 s) instead of a hundred key generations (about 14 s).
 *
 * Each key is an ordinary, complete RSA key: n = p·q of two distinct primes from Node's
 * `generatePrime` (OpenSSL sets their top two bits, so n has exactly `bits` bits), e = 65537, and
 * d and the CRT values computed here. Each one signs a message that its public key then verifies
 * before it is handed out; that cannot see a wrong CRT value (OpenSSL then signs with d instead),
 * so test/pki/test-keys.test.ts runs `openssl pkey -check` on them too. No two keys of a process
 * share both primes, so a store never sees the same key twice. Keys that share one prime can be
 * factored together (a GCD of their moduli): that matters for real keys, not for keys that live
 * in a test's temp folder. The product's own key generation (core/pki/keys.ts) is what every
 * real `-g` and `-c` process in the suite runs.
 */
import { createPrivateKey, createPublicKey, generatePrimeSync, sign, verify, type KeyObject } from 'node:crypto';

const E = 65537n;

/** Primes found so far for each key size, and how many keys each size has handed out. */
const primes = new Map<number, bigint[]>();
const handedOut = new Map<number, number>();

function modInverse(a: bigint, m: bigint): bigint {
  let [oldR, r] = [a % m, m];
  let [oldS, s] = [1n, 0n];
  while (r !== 0n) {
    const q = oldR / r;
    [oldR, r] = [r, oldR - q * r];
    [oldS, s] = [s, oldS - q * s];
  }
  if (oldR !== 1n) throw new Error('no inverse');
  return ((oldS % m) + m) % m;
}

const gcd = (a: bigint, b: bigint): bigint => (b === 0n ? a : gcd(b, a % b));

const base64url = (x: bigint) => {
  const hex = x.toString(16);
  return Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex').toString('base64url');
};

/** The j-th prime of this size, searched for when first needed; e must be invertible mod p − 1. */
function primeAt(bits: number, j: number): bigint {
  const found = primes.get(bits) ?? [];
  primes.set(bits, found);
  while (found.length <= j) {
    const p = generatePrimeSync(bits / 2, { bigint: true });
    if ((p - 1n) % E !== 0n && !found.includes(p)) found.push(p);
  }
  return found[j]!;
}

/** The k-th pair (i < j) in the order (0,1), (0,2), (1,2), (0,3), …: each new prime adds j pairs. */
function pairAt(k: number): [number, number] {
  let j = 1;
  while (k >= j) k -= j++;
  return [k, j];
}

function keyFromPrimes(a: bigint, b: bigint, bits: number): KeyObject {
  const [p, q] = a > b ? [a, b] : [b, a];
  const n = p * q;
  if (n.toString(2).length !== bits) throw new Error(`a ${bits}-bit modulus came out ${n.toString(2).length} bits long`);
  const lambda = ((p - 1n) * (q - 1n)) / gcd(p - 1n, q - 1n);
  const d = modInverse(E, lambda);
  const key = createPrivateKey({
    format: 'jwk',
    key: { kty: 'RSA', n: base64url(n), e: base64url(E), d: base64url(d), p: base64url(p), q: base64url(q), dp: base64url(d % (p - 1n)), dq: base64url(d % (q - 1n)), qi: base64url(modInverse(q, p)) },
  });
  const message = Buffer.from('test key self-check');
  if (!verify('sha256', message, createPublicKey(key), sign('sha256', message, key))) throw new Error('a test key failed its self-check');
  return key;
}

/** A new RSA private key of `bits` bits, different from every other this process has handed out. */
export function testPrivateKey(bits = 2048): KeyObject {
  if (bits % 2 !== 0 || bits < 1024) throw new Error(`no ${bits}-bit test keys`);
  const k = handedOut.get(bits) ?? 0;
  handedOut.set(bits, k + 1);
  const [i, j] = pairAt(k);
  return keyFromPrimes(primeAt(bits, i), primeAt(bits, j), bits);
}

/** The same, as OperationContext.newPrivateKey takes it. */
export const newTestPrivateKey = async (bits: number): Promise<KeyObject> => testPrivateKey(bits);
