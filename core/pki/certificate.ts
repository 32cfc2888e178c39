/**
 * Builds the self-signed server authentication certificate.
 *
 * node-forge only lays out the X.509 structure (TBSCertificate); the signature is made with
 * Node's crypto (OpenSSL), and the result is checked with Node's X509Certificate before use.
 */
import { X509Certificate, createPublicKey, randomBytes, sign, type KeyObject } from 'node:crypto';
import { VALIDITY_DAYS } from '../limits.js';
import { hostname } from 'node:os';
import { domainToASCII } from 'node:url';
import type Forge from 'node-forge';
import { forgeWhole } from './forge.js';

export const DEFAULT_VALIDITY_DAYS = VALIDITY_DAYS.default;
const DAY_MS = 24 * 60 * 60 * 1000;

interface CertificateRequest {
  privateKey: KeyObject;
  /** Common name; the host name by default, so admins can tell servers apart. */
  commonName?: string;
  validityDays?: number;
  now?: Date;
}

/** A positive 127-bit serial: random, so two renewals never share one (RFC 5280 allows 20 octets). */
function randomSerialHex(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0]! & 0x7f) | 0x01;
  return bytes.toString('hex');
}

function defaultCommonName(): string {
  return hostname() || 'certificatemanager';
}

export function createSelfSignedCertificate(request: CertificateRequest): Buffer {
  const { privateKey } = request;
  const now = request.now ?? new Date();
  const validityDays = request.validityDays ?? DEFAULT_VALIDITY_DAYS;
  const commonName = request.commonName ?? defaultCommonName();

  const publicPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  const forge = forgeWhole();
  const cert = forge.pki.createCertificate();
  // forge's RSA public key object is only a holder for the SubjectPublicKeyInfo fields here.
  cert.publicKey = forge.pki.publicKeyFromPem(publicPem);
  cert.serialNumber = randomSerialHex();
  // Backdate a little so agents with a slow clock accept a brand-new certificate.
  cert.validity.notBefore = new Date(Math.floor((now.getTime() - 5 * 60 * 1000) / 1000) * 1000);
  cert.validity.notAfter = new Date(Math.floor((now.getTime() + validityDays * DAY_MS) / 1000) * 1000);
  // Tagged as UTF8String (forge then encodes the text as UTF-8), so a
  // Japanese host name or --subject is written as it reads.
  const attrs = [
    { name: 'commonName', value: commonName, valueTagClass: forge.asn1.Type.UTF8 },
    { name: 'organizationName', value: 'CertificateManager server authentication', valueTagClass: forge.asn1.Type.UTF8 },
  ] as unknown as Forge.pki.CertificateField[];
  // dNSName is ASCII only (IA5String): IDNs go in as punycode, and names that are no host
  // name at all (spaces, commas) are left out of the SAN.
  const dnsName = domainToASCII(commonName.toLowerCase());
  const altNames = dnsName && /^[a-z0-9.-]+$/.test(dnsName) ? [{ type: 2, value: dnsName }] : [];
  cert.setSubject(attrs);
  cert.setIssuer(attrs);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    { name: 'subjectKeyIdentifier' },
    ...(altNames.length ? [{ name: 'subjectAltName', altNames }] : []),
  ]);
  const sha256WithRSA = forge.pki.oids['sha256WithRSAEncryption']!;
  cert.siginfo.algorithmOid = sha256WithRSA;
  cert.signatureOid = sha256WithRSA;

  // getTBSCertificate exists at runtime but is missing from @types/node-forge.
  const tbs = (forge.pki as unknown as { getTBSCertificate(c: Forge.pki.Certificate): Forge.asn1.Asn1 }).getTBSCertificate(cert);
  const tbsDer = Buffer.from(forge.asn1.toDer(tbs).getBytes(), 'binary');
  const signature = sign('sha256', tbsDer, privateKey);

  const { asn1 } = forge;
  const certificate = asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
    tbs,
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.SEQUENCE, true, [
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.OID, false, asn1.oidToDer(sha256WithRSA).getBytes()),
      asn1.create(asn1.Class.UNIVERSAL, asn1.Type.NULL, false, ''),
    ]),
    asn1.create(asn1.Class.UNIVERSAL, asn1.Type.BITSTRING, false, String.fromCharCode(0) + signature.toString('binary')),
  ]);
  const der = Buffer.from(asn1.toDer(certificate).getBytes(), 'binary');

  // Never hand out something OpenSSL would not accept.
  const x509 = new X509Certificate(der);
  if (!x509.verify(x509.publicKey)) throw new Error('internal: the new certificate does not verify');
  return der;
}

/**
 * The common name of a certificate, read from its DER (not from Node's RFC 2253 text form,
 * whose escaping would compound at every renewal).
 */
export function commonNameOf(der: Buffer): string | undefined {
  try {
    const forge = forgeWhole();
    const cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(der.toString('binary')));
    const field = cert.subject.getField('CN') as { value: string; valueTagClass?: number } | null;
    if (!field) return undefined;
    return field.valueTagClass === forge.asn1.Type.UTF8 ? forge.util.decodeUtf8(field.value) : field.value;
  } catch {
    return undefined;
  }
}
