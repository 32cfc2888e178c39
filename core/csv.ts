/**
 * CSV as every export of this product writes it (clients, auth-failure history, audit history):
 * RFC 4180 (comma-separated, CRLF line ends, fields with a comma, a quote or a line break quoted
 * and quotes doubled), UTF-8 with a byte order mark, times in local time with their offset.
 *
 * Cells may come from agents or from file names, so a hostile one could be `=HYPERLINK(...)`: a
 * cell starting with = + - @ (or a tab or carriage return, which spreadsheets strip before
 * looking) gets a leading ' so spreadsheets show it as text (OWASP "CSV injection"). A cell
 * holding a `;` or a tab is quoted too: spreadsheets in locales whose list separator is `;` (or
 * that split on tabs) would otherwise cut `x;=1+2` into a second cell that starts a formula.
 *
 * The byte order mark: without it, Excel on a Japanese (or any non-UTF-8) Windows reads the text
 * in the ANSI code page and garbles every non-ASCII name.
 */

/** What Excel needs to read the file as UTF-8. */
export const UTF8_BOM = '\uFEFF';

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
