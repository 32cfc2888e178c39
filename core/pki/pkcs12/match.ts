/** Certificate parsing and key↔certificate matching, all native (node:crypto). */
import { createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { badInput } from '../../errors.js';
import { CODES } from './failures.js';

/** The SubjectPublicKeyInfo DER of a private key's public half. */
export function publicKeyDerOf(privateKey: KeyObject): Buffer {
  return createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
}

/** Parses a DER certificate; `which` says which one, for the message. */
export function readPfxCertificate(der: Buffer, which: string): X509Certificate {
  try {
    return new X509Certificate(der);
  } catch (e) {
    throw badInput(
      CODES.badCertificate,
      `The ${which} is not a valid X.509 certificate. Export it again and retry.`,
      { which },
      e,
    );
  }
}

/** The certificate's SubjectPublicKeyInfo DER, or undefined if Node cannot read that key type. */
export function certificatePublicKeyDer(cert: X509Certificate): Buffer | undefined {
  try {
    return cert.publicKey.export({ type: 'spki', format: 'der' });
  } catch {
    return undefined;
  }
}

export const keyMismatch = (detail: string) =>
  badInput(
    CODES.keyMismatch,
    `${detail} Use the certificate that was issued for this private key (check that the certificate and key files belong together).`,
  );
