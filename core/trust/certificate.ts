/**
 * Identity of a certificate: its SHA-256 over the DER bytes, and the public key the agent
 * verifies with. We pin certificates by hash (like TUF pins keys), so the X.509 validity dates
 * are deliberately not checked: freshness comes from each message's `exp`, and trust moves
 * only by cross-signed rotation.
 */
import { X509Certificate, createHash, type KeyObject } from 'node:crypto';
import { MIN_RSA_BITS } from './profile.js';
import { TrustError } from './errors.js';

/** SHA-256 of the DER certificate, lowercase hex without separators (what admins compare). */
export function fingerprintSha256(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

/** SHA-256 of the DER certificate, base64url without padding: the JWS `x5t#S256` value (RFC 7515 §4.1.8). */
export function thumbprintB64url(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('base64url');
}

/** The `x5t#S256` form of a hex fingerprint (both are the same 32 bytes). */
export function fingerprintToThumbprint(hex: string): string {
  return Buffer.from(hex, 'hex').toString('base64url');
}

export interface ParsedCertificate {
  /** Exactly the DER bytes that were given (and that the fingerprint is computed over). */
  readonly der: Buffer;
  readonly fingerprintSha256: string;
  readonly thumbprint: string;
  readonly publicKey: KeyObject;
}

/**
 * Reads a DER certificate with Node's X509Certificate (OpenSSL), and insists on an RSA key of
 * at least MIN_RSA_BITS. Only DER is taken: PEM, or DER with bytes after it, would make the
 * fingerprint ambiguous (two byte strings for one certificate).
 */
export function parseCertificate(der: Uint8Array, what = 'The certificate'): ParsedCertificate {
  const bytes = Buffer.from(der);
  let cert: X509Certificate;
  let publicKey: KeyObject;
  try {
    cert = new X509Certificate(bytes);
    // Read now: X509Certificate decodes the key lazily, and a damaged key throws only here.
    publicKey = cert.publicKey;
  } catch (cause) {
    throw new TrustError('malformed', `${what} is not a readable X.509 certificate`, {}, cause);
  }
  if (!cert.raw.equals(bytes)) throw new TrustError('malformed', `${what} is not in DER form`);
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (publicKey.asymmetricKeyType !== 'rsa' || bits < MIN_RSA_BITS)
    throw new TrustError('untrusted-key', `${what} does not hold an RSA key of at least ${MIN_RSA_BITS} bits`, {
      keyType: publicKey.asymmetricKeyType ?? 'unknown',
      bits,
    });
  return { der: bytes, fingerprintSha256: fingerprintSha256(bytes), thumbprint: thumbprintB64url(bytes), publicKey };
}
