/**
 * The server's signing identity: its private key and the DER certificate agents pin. Checked
 * before every signature, because a key that does not match its certificate would produce
 * messages that every agent in the fleet refuses - better to fail here, on the server.
 * Failures are ordinary server-side 'bad-input' errors, not TrustErrors (those are refusals).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { badInput } from '../errors.js';
import { parseCertificate, type ParsedCertificate } from './certificate.js';

export interface Signer {
  privateKey: KeyObject;
  /** DER bytes of the certificate agents hold for this key. */
  certificate: Buffer;
}

export function checkSigner(signer: Signer, role = 'signing'): ParsedCertificate {
  let cert: ParsedCertificate;
  try {
    cert = parseCertificate(signer.certificate, `The ${role} certificate`);
  } catch (cause) {
    const what = cause instanceof Error ? cause.message.split('. ')[0] : 'unreadable';
    throw badInput('SIGNER_CERTIFICATE_INVALID', `${what}. Generate or import a valid server certificate.`, {}, cause);
  }
  const key = signer.privateKey;
  if (key?.type !== 'private' || key.asymmetricKeyType !== 'rsa')
    throw badInput('SIGNER_KEY_INVALID', `The ${role} key is not an RSA private key. Generate or import a valid server certificate.`);
  const spki = (k: KeyObject) => k.export({ type: 'spki', format: 'der' });
  if (!spki(createPublicKey(key)).equals(spki(cert.publicKey)))
    throw badInput('SIGNER_KEY_MISMATCH', `The ${role} key does not belong to its certificate. Restore the matching key and certificate together.`);
  return cert;
}
