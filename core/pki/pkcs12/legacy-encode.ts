/**
 * The "legacy" PKCS#12 profile, written only when an admin asks for it (export-pfx --compat
 * legacy): Windows Server 2016 and older, and some appliances, import nothing else.
 *
 *   - certificates and key: pbeWithSHAAnd3-KeyTripleDES-CBC (RFC 7292 appendix C), keys and IVs
 *     from the PKCS#12 KDF with SHA-1 (IDs 1 and 2) over the BMPString password;
 *   - MAC: HMAC-SHA1, key from the PKCS#12 KDF with SHA-1 (ID 3).
 *
 * This is weaker than our own profile (index.ts): 3DES, and a SHA-1 KDF at a count older
 * importers accept. It is never the format of our backups; encodePkcs12 stays the only writer
 * of those. Same layout as encode.ts otherwise (certificates encrypted, key shrouded, one MAC).
 */
import { createCipheriv, createHash, createHmac, KeyObject, randomBytes } from 'node:crypto';
import { usageError } from '../../errors.js';
import * as A from './asn1.js';
import { certBag, safeBag } from './encode.js';
import { CODES } from './failures.js';
import { bmpPassword, KDF_ID_IV, KDF_ID_KEY, KDF_ID_MAC, pkcs12Kdf } from './kdf.js';
import { certificatePublicKeyDer, keyMismatch, readPfxCertificate, publicKeyDerOf } from './match.js';
import { OID, SHA1 } from './oids.js';
import type { Pkcs12Input } from './index.js';

/**
 * OpenSSL's PKCS12_DEFAULT_ITER, what `openssl pkcs12 -export -legacy` writes (Windows' own
 * export writes 2000). Higher counts are allowed, but some appliances refuse them.
 */
const LEGACY_DEFAULT_ITERATIONS = 2048;
const MAX_LEGACY_ITERATIONS = 100_000;
const SALT_BYTES = 8; // what older importers expect (OpenSSL's PKCS5_SALT_LEN)
const MAX_CHAIN = 16;
const MAX_FRIENDLY_NAME = 256;
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

interface LegacyEncodeOptions {
  /** SHA-1 PKCS#12-KDF count for the key, the certificates and the MAC (default 2048). */
  iterations?: number;
}

function pbeAlgorithm(salt: Buffer, iterations: number): A.Node {
  return A.mkSequence(A.mkOid(OID.pbeWithSHAAnd3KeyTripleDESCBC), A.mkSequence(A.mkOctets(salt), A.mkInteger(iterations)));
}

async function tripleDesEncrypt(bmp: Buffer, salt: Buffer, iterations: number, plain: Buffer): Promise<Buffer> {
  const key = await pkcs12Kdf(SHA1, bmp, salt, KDF_ID_KEY, iterations, 24);
  const iv = await pkcs12Kdf(SHA1, bmp, salt, KDF_ID_IV, iterations, 8);
  try {
    const c = createCipheriv('des-ede3-cbc', key, iv);
    return Buffer.concat([c.update(plain), c.final()]);
  } finally {
    key.fill(0);
  }
}

/** Writes the key, its certificate and the chain as a 3DES / SHA-1-MAC PKCS#12 file. */
export async function encodeLegacyPkcs12(input: Pkcs12Input, password: string, options: LegacyEncodeOptions = {}): Promise<Buffer> {
  if (typeof password !== 'string' || password === '' || password.length > 1024 || LONE_SURROGATE.test(password))
    throw usageError(CODES.badArgument, 'A password of 1 to 1024 valid characters is required to protect the .pfx file.');
  const iterations = options.iterations ?? LEGACY_DEFAULT_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_LEGACY_ITERATIONS)
    throw usageError(CODES.badArgument, `iterations must be a whole number from 1 to ${MAX_LEGACY_ITERATIONS}.`);
  const { privateKey, certificate, chain = [], friendlyName } = input;
  if (!(privateKey instanceof KeyObject) || privateKey.type !== 'private') throw usageError(CODES.badArgument, 'The key to export must be a private key.');
  if (!Buffer.isBuffer(certificate) || !Array.isArray(chain) || !chain.every((c) => Buffer.isBuffer(c)))
    throw usageError(CODES.badArgument, 'Certificates must be given as DER bytes.');
  if (chain.length > MAX_CHAIN) throw usageError(CODES.badArgument, `The chain has more than ${MAX_CHAIN} certificates. Pass only the issuing chain.`);
  if (friendlyName !== undefined && (typeof friendlyName !== 'string' || friendlyName.length > MAX_FRIENDLY_NAME || LONE_SURROGATE.test(friendlyName)))
    throw usageError(CODES.badArgument, `The friendly name must be text of at most ${MAX_FRIENDLY_NAME} characters.`);
  const leaf = readPfxCertificate(certificate, 'certificate');
  chain.forEach((der, i) => readPfxCertificate(der, `chain certificate number ${i + 1}`));
  const spki = certificatePublicKeyDer(leaf);
  if (!spki || !spki.equals(publicKeyDerOf(privateKey))) throw keyMismatch('The certificate does not belong to the private key.');

  const bmp = bmpPassword(password);
  const certSalt = randomBytes(SALT_BYTES);
  const keySalt = randomBytes(SALT_BYTES);
  const macSalt = randomBytes(SALT_BYTES);
  const keyPkcs8 = privateKey.export({ type: 'pkcs8', format: 'der' });
  // localKeyId ties the key bag to its certificate bag; Windows and OpenSSL use the certificate's SHA-1.
  const localKeyId = createHash('sha1').update(certificate).digest();
  let macKey: Buffer | undefined;
  try {
    const certContents = A.toDer(A.mkSequence(certBag({ der: certificate, friendlyName, localKeyId }), ...chain.map((der) => certBag({ der }))));
    const certCipher = await tripleDesEncrypt(bmp, certSalt, iterations, certContents);
    const certsInfo = A.mkSequence(
      A.mkOid(OID.encryptedData),
      A.mkExplicit(0, A.mkSequence(A.mkInteger(0), A.mkSequence(A.mkOid(OID.data), pbeAlgorithm(certSalt, iterations), A.mkImplicitOctets(0, certCipher)))),
    );

    const keyCipher = await tripleDesEncrypt(bmp, keySalt, iterations, keyPkcs8);
    const keyBag = safeBag(OID.pkcs8ShroudedKeyBag, A.mkSequence(pbeAlgorithm(keySalt, iterations), A.mkOctets(keyCipher)), { friendlyName, localKeyId });
    const keyInfo = A.mkSequence(A.mkOid(OID.data), A.mkExplicit(0, A.mkOctets(A.toDer(A.mkSequence(keyBag)))));

    const authSafe = A.toDer(A.mkSequence(certsInfo, keyInfo));
    macKey = await pkcs12Kdf(SHA1, bmp, macSalt, KDF_ID_MAC, iterations, SHA1.outputBytes);
    const mac = createHmac('sha1', macKey).update(authSafe).digest();
    return A.toDer(
      A.mkSequence(
        A.mkInteger(3),
        A.mkSequence(A.mkOid(OID.data), A.mkExplicit(0, A.mkOctets(authSafe))),
        A.mkSequence(A.mkSequence(A.mkSequence(A.mkOid(OID.sha1), A.mkNull()), A.mkOctets(mac)), A.mkOctets(macSalt), A.mkInteger(iterations)),
      ),
    );
  } finally {
    keyPkcs8.fill(0);
    bmp.fill(0);
    macKey?.fill(0);
  }
}
