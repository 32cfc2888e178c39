/** The password-based encryption schemes a PKCS#12 file may use, behind one interface. */
import * as A from './asn1.js';
import { unsupported } from './failures.js';
import { isLegacyPbe, legacyPbe } from './legacy-pbe.js';
import { describeOid, OID } from './oids.js';
import { pbes2Pbe } from './pbes2.js';

/** The password in the two encodings PKCS#12 uses. */
export interface Passwords {
  /** UTF-8 bytes, for PBES2/PBKDF2. */
  readonly utf8: Buffer;
  /** BMPString (UTF-16BE + 00 00), for the PKCS#12 KDF; empty for the "no password" variant. */
  readonly bmp: Buffer;
}

export interface Pbe {
  /** E.g. 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/600000'. */
  readonly description: string;
  /** The iteration count the scheme asks for, to be checked before any work is done. */
  readonly iterations: number;
  /** Starts key derivation that runs off the main thread (PBES2), without decrypting anything. */
  prefetch(pw: Passwords): void;
  /** Decrypts; a wrong key or damaged data throws decryptFailed(). */
  decrypt(pw: Passwords, ciphertext: Buffer): Promise<Buffer>;
}

/** Reads an encryption AlgorithmIdentifier. Unknown or weak-and-unsupported schemes are refused here. */
export function parsePbe(algorithm: A.Node | undefined, where: string): Pbe {
  const [oidNode, params] = A.sequence(algorithm, `${where} encryption algorithm`, 1, 2);
  const oid = A.oid(oidNode, `${where} encryption algorithm`);
  if (oid === OID.pbes2) return pbes2Pbe(params, where);
  if (isLegacyPbe(oid)) return legacyPbe(oid, params, where);
  throw unsupported(describeOid(oid));
}
