/** Object identifiers used by PKCS#12 (RFC 7292), PKCS#5 (RFC 8018) and PKCS#9. */
export const OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  encryptedData: '1.2.840.113549.1.7.6',

  // SafeBag types (RFC 7292 section 4.2)
  keyBag: '1.2.840.113549.1.12.10.1.1',
  pkcs8ShroudedKeyBag: '1.2.840.113549.1.12.10.1.2',
  certBag: '1.2.840.113549.1.12.10.1.3',
  crlBag: '1.2.840.113549.1.12.10.1.4',
  secretBag: '1.2.840.113549.1.12.10.1.5',
  safeContentsBag: '1.2.840.113549.1.12.10.1.6',
  x509Certificate: '1.2.840.113549.1.9.22.1',

  // PKCS#9 attributes
  friendlyName: '1.2.840.113549.1.9.20',
  localKeyId: '1.2.840.113549.1.9.21',

  // PBES2 (RFC 8018)
  pbes2: '1.2.840.113549.1.5.13',
  pbkdf2: '1.2.840.113549.1.5.12',
  hmacWithSHA1: '1.2.840.113549.2.7',
  hmacWithSHA224: '1.2.840.113549.2.8',
  hmacWithSHA256: '1.2.840.113549.2.9',
  hmacWithSHA384: '1.2.840.113549.2.10',
  hmacWithSHA512: '1.2.840.113549.2.11',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  desEde3Cbc: '1.2.840.113549.3.7',

  // PKCS#12 v1 password-based encryption (RFC 7292 appendix C)
  pbeWithSHAAnd128BitRC4: '1.2.840.113549.1.12.1.1',
  pbeWithSHAAnd40BitRC4: '1.2.840.113549.1.12.1.2',
  pbeWithSHAAnd3KeyTripleDESCBC: '1.2.840.113549.1.12.1.3',
  pbeWithSHAAnd2KeyTripleDESCBC: '1.2.840.113549.1.12.1.4',
  pbeWithSHAAnd128BitRC2CBC: '1.2.840.113549.1.12.1.5',
  pbeWithSHAAnd40BitRC2CBC: '1.2.840.113549.1.12.1.6',

  // Digests (for the MAC)
  sha1: '1.3.14.3.2.26',
  sha224: '2.16.840.1.101.3.4.2.4',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

/** Digests the PKCS#12 KDF and the MAC support: node:crypto name, output size u, block size v. */
export interface Digest {
  readonly name: 'sha1' | 'sha224' | 'sha256' | 'sha384' | 'sha512';
  readonly label: string;
  readonly outputBytes: number;
  readonly blockBytes: number;
}

export const DIGESTS: Readonly<Record<string, Digest>> = {
  [OID.sha1]: { name: 'sha1', label: 'SHA1', outputBytes: 20, blockBytes: 64 },
  [OID.sha224]: { name: 'sha224', label: 'SHA224', outputBytes: 28, blockBytes: 64 },
  [OID.sha256]: { name: 'sha256', label: 'SHA256', outputBytes: 32, blockBytes: 64 },
  [OID.sha384]: { name: 'sha384', label: 'SHA384', outputBytes: 48, blockBytes: 128 },
  [OID.sha512]: { name: 'sha512', label: 'SHA512', outputBytes: 64, blockBytes: 128 },
};

export const SHA1 = DIGESTS[OID.sha1]!;
export const SHA256 = DIGESTS[OID.sha256]!;

/** PBKDF2 pseudo-random functions: OID → node:crypto digest name. */
export const PRFS: Readonly<Record<string, Digest>> = {
  [OID.hmacWithSHA1]: SHA1,
  [OID.hmacWithSHA224]: DIGESTS[OID.sha224]!,
  [OID.hmacWithSHA256]: SHA256,
  [OID.hmacWithSHA384]: DIGESTS[OID.sha384]!,
  [OID.hmacWithSHA512]: DIGESTS[OID.sha512]!,
};

/** PBES2 encryption schemes: OID → node:crypto cipher, key and IV sizes. */
export interface Pbes2Cipher {
  readonly name: 'aes-128-cbc' | 'aes-192-cbc' | 'aes-256-cbc' | 'des-ede3-cbc';
  readonly label: string;
  readonly keyBytes: number;
  readonly ivBytes: number;
}

export const PBES2_CIPHERS: Readonly<Record<string, Pbes2Cipher>> = {
  [OID.aes128Cbc]: { name: 'aes-128-cbc', label: 'AES-128-CBC', keyBytes: 16, ivBytes: 16 },
  [OID.aes192Cbc]: { name: 'aes-192-cbc', label: 'AES-192-CBC', keyBytes: 24, ivBytes: 16 },
  [OID.aes256Cbc]: { name: 'aes-256-cbc', label: 'AES-256-CBC', keyBytes: 32, ivBytes: 16 },
  [OID.desEde3Cbc]: { name: 'des-ede3-cbc', label: 'DES-EDE3-CBC', keyBytes: 24, ivBytes: 8 },
};

/** Names people know for algorithms we recognise but do not support, for error messages. */
const KNOWN_UNSUPPORTED: Readonly<Record<string, string>> = {
  [OID.pbeWithSHAAnd128BitRC4]: 'RC4-128 encryption (pbeWithSHAAnd128BitRC4)',
  [OID.pbeWithSHAAnd40BitRC4]: 'RC4-40 encryption (pbeWithSHAAnd40BitRC4)',
  '1.2.840.113549.1.5.3': 'DES encryption (pbeWithMD5AndDES-CBC)',
  '1.2.840.113549.1.5.10': 'DES encryption (pbeWithSHA1AndDES-CBC)',
  '1.2.840.113549.1.5.6': 'RC2 encryption (pbeWithMD5AndRC2-CBC)',
  '1.2.840.113549.1.5.11': 'RC2 encryption (pbeWithSHA1AndRC2-CBC)',
  '1.3.14.3.2.7': 'single DES encryption (desCBC)',
  '1.2.840.113549.3.2': 'RC2 encryption (rc2CBC)',
  [OID.signedData]: 'public-key integrity (signed PKCS#12)',
  [OID.envelopedData]: 'public-key privacy (enveloped PKCS#12)',
};

export const describeOid = (oid: string): string => KNOWN_UNSUPPORTED[oid] ?? `the algorithm ${oid}`;
