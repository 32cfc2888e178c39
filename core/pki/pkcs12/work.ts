/**
 * What one iteration of each password-hashing scheme costs, in work units, so that the
 * iteration budget bounds the CPU time a file can take rather than a count that means ten times
 * more on one digest than on another.
 *
 * One unit is one iteration of the cheapest KDF we run: a PKCS#12-KDF SHA-256 iteration in
 * sha256Iterate32 (one compression), or a PBKDF2 iteration, which node:crypto runs natively on
 * the threadpool (two compressions, at native speed). Every other PKCS#12-KDF digest costs one
 * node:crypto hash() call per iteration; measured on Node 20 at 2.5x (SHA-512) to 7.5x (SHA-1)
 * the SHA-256 loop, so they count 8: conservative, since a legitimate file uses a few thousand.
 */
import type { Pbe } from './pbe.js';
import type { Digest } from './oids.js';

/** The whole file may cost this many times what one item may (a MAC and two PBES2 parts). */
export const TOTAL_WORK_FACTOR = 3;

const GENERIC_DIGEST_COST = 8;

/** Work units per PKCS#12-KDF iteration with this digest (MAC keys and legacy PBEs). */
export const kdfWork = (digest: Pick<Digest, 'name'>): number => (digest.name === 'sha256' ? 1 : GENERIC_DIGEST_COST);

/**
 * Work units per iteration of an encryption scheme. A legacy PBE runs the SHA-1 PKCS#12 KDF
 * twice (key and IV); PBES2 runs PBKDF2 once.
 */
export const pbeWork = (pbe: Pick<Pbe, 'description'>): number => (pbe.description.startsWith('PBES2') ? 1 : 2 * kdfWork({ name: 'sha1' }));
