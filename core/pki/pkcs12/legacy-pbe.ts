/**
 * PKCS#12 v1 password-based encryption (RFC 7292 appendix C), read-only: what
 * `openssl pkcs12 -export -legacy`, OpenSSL 1.x and older Windows write. Keys and IVs come from
 * the PKCS#12 KDF with SHA-1 (IDs 1 and 2) over the BMPString password.
 *
 * Triple-DES is decrypted natively. Node's OpenSSL 3 has RC2 only in the "legacy" provider,
 * which Node does not load, so RC2 is decrypted with node-forge's RC2 block cipher; padding is
 * then checked here (forge's own check is lax).
 */
import { createDecipheriv } from 'node:crypto';
import { forgeRc2 } from '../forge.js';
import * as A from './asn1.js';
import { decryptFailed, malformed, unsupported } from './failures.js';
import { KDF_ID_IV, KDF_ID_KEY, pkcs12Kdf } from './kdf.js';
import { LIMITS } from './limits.js';
import { describeOid, OID, SHA1 } from './oids.js';
import type { Passwords, Pbe } from './pbe.js';

interface LegacyCipher {
  readonly label: string;
  readonly keyBytes: number;
  readonly decrypt: (key: Buffer, iv: Buffer, data: Buffer) => Buffer;
}

function tripleDes(key: Buffer, iv: Buffer, data: Buffer): Buffer {
  // Two-key triple DES is three-key with K3 = K1.
  const k = key.length === 16 ? Buffer.concat([key, key.subarray(0, 8)]) : key;
  const d = createDecipheriv('des-ede3-cbc', k, iv);
  return Buffer.concat([d.update(data), d.final()]);
}

function rc2(bits: number) {
  return (key: Buffer, iv: Buffer, data: Buffer): Buffer => {
    const forge = forgeRc2();
    const c = forge.rc2.createDecryptionCipher(key.toString('latin1'), bits);
    c.start(iv.toString('latin1'));
    c.update(forge.util.createBuffer(data.toString('latin1')));
    // Keep forge from unpadding: its check accepts bad padding.
    if (!c.finish(() => true)) throw new Error('RC2 decryption failed');
    return unpad(Buffer.from(c.output.getBytes(), 'latin1'), 8);
  };
}

/** Strict PKCS#7 unpadding. */
function unpad(b: Buffer, block: number): Buffer {
  const n = b.length > 0 ? b[b.length - 1]! : 0;
  if (n < 1 || n > block || n > b.length) throw new Error('bad padding');
  for (let i = b.length - n; i < b.length; i++) if (b[i] !== n) throw new Error('bad padding');
  return b.subarray(0, b.length - n);
}

const CIPHERS: Readonly<Record<string, LegacyCipher>> = {
  [OID.pbeWithSHAAnd3KeyTripleDESCBC]: { label: 'pbeWithSHA1And3-KeyTripleDES-CBC', keyBytes: 24, decrypt: tripleDes },
  [OID.pbeWithSHAAnd2KeyTripleDESCBC]: { label: 'pbeWithSHA1And2-KeyTripleDES-CBC', keyBytes: 16, decrypt: tripleDes },
  [OID.pbeWithSHAAnd128BitRC2CBC]: { label: 'pbeWithSHA1And128BitRC2-CBC', keyBytes: 16, decrypt: rc2(128) },
  [OID.pbeWithSHAAnd40BitRC2CBC]: { label: 'pbeWithSHA1And40BitRC2-CBC', keyBytes: 5, decrypt: rc2(40) },
};

export const isLegacyPbe = (oid: string): boolean => oid.startsWith('1.2.840.113549.1.12.1.');

/** A PKCS#12 v1 PBE scheme read from a file (its OID is in the pkcs-12PbeIds arc). */
export function legacyPbe(oid: string, params: A.Node | undefined, where: string): Pbe {
  const cipher = CIPHERS[oid];
  if (!cipher) throw unsupported(describeOid(oid));
  const [saltNode, iterNode] = A.sequence(params, `${where} PBE parameters`, 2, 2);
  const salt = A.octets(saltNode, `${where} PBE salt`);
  if (salt.length > LIMITS.maxSaltBytes) throw malformed(`${where} PBE salt`);
  const iterations = A.integer(iterNode, `${where} PBE iteration count`);
  return {
    description: `${cipher.label}/${iterations}`,
    iterations,
    prefetch: () => undefined, // the SHA-1 KDF runs on the main thread: nothing to start early
    async decrypt(pw: Passwords, ciphertext: Buffer) {
      if (ciphertext.length === 0 || ciphertext.length % 8 !== 0) throw decryptFailed(where);
      const key = await pkcs12Kdf(SHA1, pw.bmp, salt, KDF_ID_KEY, iterations, cipher.keyBytes);
      const iv = await pkcs12Kdf(SHA1, pw.bmp, salt, KDF_ID_IV, iterations, 8);
      try {
        return cipher.decrypt(key, iv, ciphertext);
      } catch (e) {
        throw decryptFailed(where, e);
      }
    },
  };
}
