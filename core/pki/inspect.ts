/**
 * Reading certificates: the facts the admin sees, and the checks that decide whether a
 * certificate can be used to sign for agents. All parsing and verification is Node's
 * X509Certificate (OpenSSL).
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import { fingerprintSha256 } from '../trust/certificate.js';
import { badInput } from '../errors.js';
import type { CertificateInfo } from '../schemas.js';
import { MIN_RSA_BITS, spkiDer } from './keys.js';

/** A certificate the store or a backup holds; unreadable means the file is damaged. (Certificates from a .pfx: pkcs12/match.ts readPfxCertificate; agents' trust: core/trust parseCertificate.) */
export function readStoredCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (cause) {
    throw badInput('CERT_UNREADABLE', 'The certificate cannot be read; the file is damaged. Use another backup.', {}, cause);
  }
}

/** One definition of a certificate's fingerprint, shared with the wire protocol (core/trust). */
export { fingerprintSha256 };

/**
 * "CN=a\nO=b" (Node's form) as the one-line "CN=a, O=b" admins know. An empty subject (legal
 * in RFC 5280 when a critical subjectAltName names the server) is undefined in Node: "".
 */
function oneLineName(name: string | undefined): string {
  return (name ?? '').split('\n').filter(Boolean).join(', ');
}

export function describeCertificate(der: Buffer): CertificateInfo {
  const x = readStoredCertificate(der);
  const details = x.publicKey.asymmetricKeyDetails;
  return {
    subject: oneLineName(x.subject),
    issuer: oneLineName(x.issuer),
    serialNumber: x.serialNumber.toLowerCase().replace(/^0+(?=.)/, ''),
    fingerprintSha256: fingerprintSha256(der),
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    keyAlgorithm: 'RSA',
    keySize: details?.modulusLength ?? 0,
  };
}

/** A CA certificate from a file's chain; a damaged one is bad input (exit 4), like the leaf. */
export function parseChainCertificate(der: Buffer): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (cause) {
    throw badInput('CHAIN_CERT_UNREADABLE', 'A CA certificate in the file\'s chain cannot be read; the file is damaged. Export the certificate again with its chain, or use another backup.', {}, cause);
  }
}

/**
 * The PKCS#12 friendly name for a certificate (what certlm and IIS list): its subject, cut to
 * the 256 characters a friendly name may have, or a fixed name when the subject is empty.
 */
export const MAX_FRIENDLY_NAME = 256; // UTF-16 code units, as the PKCS#12 codec counts them
export function friendlyNameFor(subject: string): string {
  if (subject.length === 0) return 'CertificateManager server authentication';
  if (subject.length <= MAX_FRIENDLY_NAME) return subject;
  let cut = '';
  for (const char of subject) {
    if (cut.length + char.length > MAX_FRIENDLY_NAME - 1) break; // never half a surrogate pair
    cut += char;
  }
  return cut + '\u2026';
}

export function keyMatchesCertificate(privateKey: KeyObject, der: Buffer): boolean {
  return spkiDer(privateKey).equals(spkiDer(readStoredCertificate(der).publicKey));
}

/**
 * The checks a certificate must pass before it may become the one agents trust: RSA of at
 * least 2048 bits, inside its validity period, and a valid signature (self-signed, or by an
 * issuer found among `chain`).
 */
export function assertUsableCertificate(der: Buffer, options: { now?: Date; chain?: Buffer[] } = {}): void {
  const x = readStoredCertificate(der);
  const now = options.now ?? new Date();
  if (x.publicKey.asymmetricKeyType !== 'rsa')
    throw badInput('KEY_NOT_RSA', `The certificate's key is ${x.publicKey.asymmetricKeyType ?? 'unknown'}, not RSA. Use an RSA certificate.`);
  const bits = x.publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS)
    throw badInput('KEY_TOO_SMALL', `The certificate's RSA key has ${bits} bits; at least ${MIN_RSA_BITS} are required. Generate a new certificate instead.`, { bits });
  if (now.getTime() > new Date(x.validTo).getTime())
    throw badInput('CERT_EXPIRED', `The certificate expired on ${new Date(x.validTo).toISOString()}. Use a newer backup or generate a new certificate.`, { notAfter: new Date(x.validTo).toISOString() });
  if (now.getTime() < new Date(x.validFrom).getTime() - 24 * 60 * 60 * 1000)
    throw badInput('CERT_NOT_YET_VALID', `The certificate is valid only from ${new Date(x.validFrom).toISOString()}. Check this computer's clock.`);
  // OpenSSL's checkIssued also wants keyCertSign on the issuer, which a self-signed server
  // certificate does not have; so self-issued certificates are verified with their own key,
  // and others with an issuer from the file found by name.
  const selfIssued = x.subject === x.issuer;
  const issuer = selfIssued ? x : options.chain?.map((d) => parseChainCertificate(d)).find((c) => c.subject === x.issuer);
  if (!issuer)
    throw badInput('CERT_ISSUER_MISSING', "The certificate's issuer is not in the file, so its signature cannot be checked. Export it again including all certificates in the certification path.");
  if (!x.verify(issuer.publicKey))
    throw badInput('CERT_BAD_SIGNATURE', 'The certificate signature is not valid; the file is damaged or forged. Use another backup.');
}
