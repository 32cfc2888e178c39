/**
 * PBES2 (RFC 8018 section 6.2) with PBKDF2: what OpenSSL 3 and modern Windows write, and what we
 * write (PBKDF2-HMAC-SHA256, AES-256-CBC). All heavy work is native: crypto.pbkdf2 runs on the
 * libuv threadpool, in parallel with the main thread.
 *
 * At most one fewer derivation than there are cores runs at a time, so the main thread always
 * has a core: it runs the MAC's KDF loop, and before that loads code and reads the store. On a
 * two-core server the two parts' keys are derived one after the other on the second core, each
 * in ~110 ms, hidden behind the main thread's work when they start early (the CLI starts them
 * as soon as it has the password). Both at once took a third of the main thread's core for as
 * long as they ran.
 *
 * The password is fed to PBKDF2 as its UTF-8 bytes, as OpenSSL 3 does (PKCS#12 files have no
 * field saying which encoding was used; UTF-8 is what every current producer uses for PBES2).
 */
import { createCipheriv, createDecipheriv, pbkdf2 } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { promisify } from 'node:util';
import * as A from './asn1.js';
import { decryptFailed, malformed, unsupported } from './failures.js';
import { LIMITS } from './limits.js';
import { describeOid, OID, PBES2_CIPHERS, PRFS, SHA1, type Digest, type Pbes2Cipher } from './oids.js';
import type { Passwords, Pbe } from './pbe.js';

const pbkdf2Async = promisify(pbkdf2);

interface Pbes2Params {
  salt: Buffer;
  iterations: number;
  prf: Digest;
  cipher: Pbes2Cipher;
  iv: Buffer;
}

/** Reads the parameters of a PBES2 AlgorithmIdentifier (its OID has been checked by the caller). */
function parsePbes2(params: A.Node | undefined, where: string): Pbes2Params {
  const [kdf, enc] = A.sequence(params, `${where} PBES2 parameters`, 2, 2);
  const [kdfOidNode, kdfParams] = A.sequence(kdf, `${where} key derivation`, 1, 2);
  const kdfOid = A.oid(kdfOidNode, `${where} key derivation`);
  if (kdfOid !== OID.pbkdf2) throw unsupported(kdfOid === '1.3.6.1.4.1.11591.4.11' ? 'scrypt key derivation' : describeOid(kdfOid));
  const p = A.sequence(kdfParams, `${where} PBKDF2 parameters`, 2, 4);
  if (!A.isOctetString(p[0])) throw unsupported('a PBKDF2 salt from another source');
  const salt = A.octets(p[0], `${where} PBKDF2 salt`);
  if (salt.length > LIMITS.maxSaltBytes) throw malformed(`${where} PBKDF2 salt`);
  const iterations = A.integer(p[1], `${where} PBKDF2 iteration count`);
  let rest = p.slice(2);
  let keyLength: number | undefined;
  if (A.isInteger(rest[0])) {
    keyLength = A.integer(rest[0], `${where} PBKDF2 key length`);
    rest = rest.slice(1);
  }
  let prf = SHA1; // the DEFAULT in RFC 8018
  if (rest.length > 1) throw malformed(`${where} PBKDF2 parameters`);
  if (rest[0]) {
    const [prfOid, prfParams, ...extra] = A.sequence(rest[0], `${where} PBKDF2 PRF`, 1, 2);
    if (extra.length || !A.isNullOrAbsent(prfParams)) throw malformed(`${where} PBKDF2 PRF`);
    const oid = A.oid(prfOid, `${where} PBKDF2 PRF`);
    const known = PRFS[oid];
    if (!known) throw unsupported(describeOid(oid));
    prf = known;
  }
  const [cipherOidNode, ivNode] = A.sequence(enc, `${where} encryption scheme`, 2, 2);
  const cipherOid = A.oid(cipherOidNode, `${where} encryption scheme`);
  const cipher = PBES2_CIPHERS[cipherOid];
  if (!cipher) throw unsupported(describeOid(cipherOid));
  const iv = A.octets(ivNode, `${where} encryption IV`);
  if (iv.length !== cipher.ivBytes) throw malformed(`${where} encryption IV`);
  if (keyLength !== undefined && keyLength !== cipher.keyBytes) throw malformed(`${where} PBKDF2 key length`);
  return { salt, iterations, prf, cipher, iv };
}

function describePbes2(p: Pbes2Params): string {
  return `PBES2/PBKDF2-HMAC-${p.prf.label}/${p.cipher.label}/${p.iterations}`;
}

/** How many PBKDF2 derivations may run at once: one core stays with the main thread. */
const PBKDF2_SLOTS = Math.max(1, availableParallelism() - 1);
let pbkdf2Running = 0;
const pbkdf2Waiting: Array<() => void> = [];

async function deriveKey(password: Buffer, p: Pick<Pbes2Params, 'salt' | 'iterations' | 'prf' | 'cipher'>): Promise<Buffer> {
  if (pbkdf2Running < PBKDF2_SLOTS) pbkdf2Running++;
  else await new Promise<void>((resolve) => pbkdf2Waiting.push(resolve));
  try {
    return await pbkdf2Async(password, p.salt, p.iterations, p.cipher.keyBytes, p.prf.name);
  } finally {
    // The slot passes straight to the next derivation waiting, or is given back.
    const next = pbkdf2Waiting.shift();
    if (next) next();
    else pbkdf2Running--;
  }
}

/** A PBES2 scheme read from a file. The PBKDF2 key is derived once and may be prefetched. */
export function pbes2Pbe(params: A.Node | undefined, where: string): Pbe {
  const p = parsePbes2(params, where);
  let key: Promise<Buffer> | undefined;
  const start = (pw: Passwords) => {
    if (!key) {
      key = deriveKey(pw.utf8, p);
      // Prefetched keys may never be awaited (wrong password): keep their failure quiet here.
      key.catch(() => undefined);
    }
    return key;
  };
  return {
    description: describePbes2(p),
    iterations: p.iterations,
    prefetch: (pw) => void start(pw),
    async decrypt(pw, ciphertext) {
      const k = await start(pw);
      if (ciphertext.length === 0 || ciphertext.length % (p.cipher.ivBytes === 8 ? 8 : 16) !== 0) throw decryptFailed(where);
      try {
        const d = createDecipheriv(p.cipher.name, k, p.iv);
        return Buffer.concat([d.update(ciphertext), d.final()]);
      } catch (e) {
        throw decryptFailed(where, e);
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Encoding: PBKDF2-HMAC-SHA256 + AES-256-CBC.

const AES256 = PBES2_CIPHERS[OID.aes256Cbc]!;
const HMAC_SHA256 = PRFS[OID.hmacWithSHA256]!;

/** The AlgorithmIdentifier for PBES2 / PBKDF2-HMAC-SHA256 / AES-256-CBC. */
export function pbes2AlgorithmId(salt: Buffer, iterations: number, iv: Buffer): A.Node {
  return A.mkSequence(
    A.mkOid(OID.pbes2),
    A.mkSequence(
      A.mkSequence(
        A.mkOid(OID.pbkdf2),
        A.mkSequence(A.mkOctets(salt), A.mkInteger(iterations), A.mkSequence(A.mkOid(OID.hmacWithSHA256), A.mkNull())),
      ),
      A.mkSequence(A.mkOid(OID.aes256Cbc), A.mkOctets(iv)),
    ),
  );
}

/** Derives the AES-256 key for given salt and count (runs on the threadpool). */
export const deriveAes256Key = (passwordUtf8: Buffer, salt: Buffer, iterations: number): Promise<Buffer> =>
  deriveKey(passwordUtf8, { salt, iterations, prf: HMAC_SHA256, cipher: AES256 });

export function aes256CbcEncrypt(key: Buffer, iv: Buffer, plaintext: Buffer): Buffer {
  const c = createCipheriv('aes-256-cbc', key, iv);
  return Buffer.concat([c.update(plaintext), c.final()]);
}
