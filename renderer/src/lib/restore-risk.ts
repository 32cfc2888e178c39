/**
 * What a restore would change beyond "a different certificate": the differences an admin must
 * read in words and confirm, because the side-by-side view alone is easy to skim. Pure; no DOM.
 */
import type { CertificateInfo, CurrentCertificate, ReplacedCertificate } from '../../../core/schemas.js';
import { commonName } from './format.js';

type RestoreRisk =
  /** The backup holds a certificate this store used before and replaced (version `version`). */
  | { kind: 'older'; version: number; currentVersion: number }
  /** The backup's certificate was issued before the one in use (made elsewhere, or an old copy). */
  | { kind: 'issued-earlier' }
  /** The backup belongs to another host name. */
  | { kind: 'other-host'; incomingHost: string; currentHost: string };

export function restoreRisks(current: CurrentCertificate | null, replaced: readonly ReplacedCertificate[], incoming: CertificateInfo): RestoreRisk[] {
  if (!current || current.fingerprintSha256 === incoming.fingerprintSha256) return [];
  const risks: RestoreRisk[] = [];
  const previous = replaced.find((r) => r.fingerprintSha256 === incoming.fingerprintSha256);
  if (previous) risks.push({ kind: 'older', version: previous.version, currentVersion: current.version });
  else if (Date.parse(incoming.notBefore) < Date.parse(current.notBefore)) risks.push({ kind: 'issued-earlier' });
  const incomingHost = commonName(incoming.subject);
  const currentHost = commonName(current.subject);
  if (incomingHost.toLowerCase() !== currentHost.toLowerCase()) risks.push({ kind: 'other-host', incomingHost, currentHost });
  return risks;
}
