/**
 * "Clients without a valid certificate" as CSV (RFC 4180: comma-separated, CRLF line ends,
 * fields with a comma, a quote or a line break are quoted and quotes doubled).
 *
 * Agent ids and failure reasons come from agents, so a hostile one could name itself
 * `=HYPERLINK(...)`: a cell starting with = + - @ (or a tab or carriage return, which
 * spreadsheets strip before looking) gets a leading ' so spreadsheets show it as text
 * (OWASP "CSV injection").
 */
import type { AgentRecord } from '../api/schemas.js';

export const CLIENTS_CSV_HEADER = ['agent id', 'fingerprint trusted', 'last check-in', 'last failure reason'] as const;

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",\r\n]|^\s|\s$/;

export function csvCell(value: string | null | undefined): string {
  let text = value ?? '';
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(cells: readonly (string | null | undefined)[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

export function clientsCsv(agents: readonly AgentRecord[]): string {
  return csvLine(CLIENTS_CSV_HEADER) + agents.map((a) => csvLine([a.agentId, a.trustedFingerprint, a.lastCheckIn, a.lastFailureReason])).join('');
}
