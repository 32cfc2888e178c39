/**
 * "Clients without a valid certificate" as CSV (RFC 4180: comma-separated, CRLF line ends,
 * fields with a comma, a quote or a line break are quoted and quotes doubled).
 *
 * Agent ids and failure reasons come from agents, so a hostile one could name itself
 * `=HYPERLINK(...)`: a cell starting with = + - @ (or a tab or carriage return, which
 * spreadsheets strip before looking) gets a leading ' so spreadsheets show it as text
 * (OWASP "CSV injection"). A cell holding a `;` or a tab is quoted too: spreadsheets in locales
 * whose list separator is `;` (or that split on tabs) would otherwise cut `x;=1+2` into a second
 * cell that starts a formula.
 *
 * The file starts with a UTF-8 byte order mark: without it, Excel on a Japanese (or any non-UTF-8)
 * Windows reads the text in the ANSI code page and garbles every non-ASCII name. The first
 * columns are stable and machine-readable (English names, codes, UTC times) for scripts; the app
 * appends columns in the admin's language (local times with their UTC offset, reasons in words),
 * whose headers and reason names it passes in, so the words have one source: its i18n files.
 */
import type { FleetAgent } from '../api/schemas.js';

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

/** What Excel needs to read the file as UTF-8. */
export const UTF8_BOM = '\uFEFF';

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

const FORMULA_START = /^[=+\-@\t\r]/;
const NEEDS_QUOTES = /[",;\t\r\n]|^\s|\s$/;

export function csvCell(value: string | null | undefined): string {
  let text = value ?? '';
  if (FORMULA_START.test(text)) text = `'${text}`;
  return NEEDS_QUOTES.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

export function csvLine(cells: readonly (string | null | undefined)[]): string {
  return cells.map(csvCell).join(',') + '\r\n';
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/**
 * `2026-12-03 19:05:00 UTC+09:00`: this computer's local time, naming its offset, so an admin
 * comparing it with Windows' Event Viewer or an agent's clock knows which zone it is in.
 */
export function localTimeWithOffset(iso: string | null): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const minutes = -d.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const offset = `${sign}${pad(Math.trunc(Math.abs(minutes) / 60))}:${pad(Math.abs(minutes) % 60)}`;
  const date = `${pad(d.getFullYear(), 4)}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} UTC${offset}`;
}

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
