/**
 * "Clients without a valid certificate" as CSV, with the conventions of core/csv.ts. The first
 * columns are stable and machine-readable (English names, codes, UTC times) for scripts; the app
 * appends columns in the admin's language (local times with their UTC offset, reasons and states
 * in words), whose headers and names it passes in, so the words have one source: its i18n files.
 */
import type { FleetAgent } from '../schemas.js';
import { csvLine, localTimeWithOffset, UTF8_BOM } from '../csv.js';

export const CLIENTS_CSV_HEADER = [
  'agent id',
  'fingerprint trusted',
  'last check-in',
  'last failure reason',
  'host name',
  'agent version',
  'last failure at',
  'state',
] as const;

/** Headers and reason names for the columns in the admin's language (see ClientsCsvLabelsSchema). */
export interface ClientsCsvLabels {
  lastCheckIn: string;
  lastFailure: string;
  lastFailureReason: string;
  state?: string;
  states?: Readonly<Record<string, string>>;
  reasons: Readonly<Record<string, string>>;
}

const named = (names: Readonly<Record<string, string>> | undefined, code: string | null): string => (code ? (names && Object.hasOwn(names, code) ? names[code]! : code) : '');

export function clientsCsv(agents: readonly FleetAgent[], labels?: ClientsCsvLabels): string {
  const localized = labels ? [labels.lastCheckIn, labels.lastFailure, labels.lastFailureReason, ...(labels.state ? [labels.state] : [])] : [];
  const rows = agents.map((a) => {
    const stable = [a.agentId, a.trustedFingerprint, a.lastCheckIn, a.lastFailureReason, a.hostname, a.agentVersion, a.lastFailureAt, a.state];
    if (!labels) return csvLine(stable);
    const words = [localTimeWithOffset(a.lastCheckIn), localTimeWithOffset(a.lastFailureAt), named(labels.reasons, a.lastFailureReason)];
    return csvLine([...stable, ...words, ...(labels.state ? [named(labels.states, a.state)] : [])]);
  });
  return UTF8_BOM + csvLine([...CLIENTS_CSV_HEADER, ...localized]) + rows.join('');
}
