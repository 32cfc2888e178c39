/** Formatting helpers shared by the screens. Pure functions; no DOM. */
import { intlLocale, type Language } from './i18n-core.js';

/**
 * A SHA-256 fingerprint as upper-case blocks of four hex digits ("AB12 CD34 …"), the form an
 * admin reads aloud or compares with a printout. Separators and case in the input are ignored.
 */
export function fingerprintBlocks(hex: string, blockSize = 4): string[] {
  const clean = hex.replace(/[^0-9a-f]/gi, '').toUpperCase();
  const blocks: string[] = [];
  for (let i = 0; i < clean.length; i += blockSize) blocks.push(clean.slice(i, i + blockSize));
  return blocks;
}

export function formatFingerprint(hex: string): string {
  return fingerprintBlocks(hex).join(' ');
}

/** Rows of blocks for display: 64 hex digits → 2 rows of 8 blocks. */
export function fingerprintRows(hex: string, blocksPerRow = 8): string[] {
  const blocks = fingerprintBlocks(hex);
  const rows: string[] = [];
  for (let i = 0; i < blocks.length; i += blocksPerRow) rows.push(blocks.slice(i, i + blocksPerRow).join(' '));
  return rows;
}

/** First and last blocks, for tables: "AB12 CD34 … 9F0E". */
export function shortFingerprint(hex: string): string {
  const blocks = fingerprintBlocks(hex);
  if (blocks.length <= 3) return blocks.join(' ');
  return `${blocks[0]} ${blocks[1]} … ${blocks[blocks.length - 1]}`;
}

/** Lower-case hex without separators, the form the API uses. */
export function normalizeFingerprint(text: string): string {
  return text.replace(/[^0-9a-f]/gi, '').toLowerCase();
}

const dateTimeFormats = new Map<string, Intl.DateTimeFormat>();
function dateTimeFormat(language: Language, withSeconds: boolean): Intl.DateTimeFormat {
  const key = `${language}:${withSeconds}`;
  let f = dateTimeFormats.get(key);
  if (!f) {
    f = new Intl.DateTimeFormat(intlLocale(language), {
      year: 'numeric',
      month: language === 'ja' ? '2-digit' : 'short',
      day: language === 'ja' ? '2-digit' : 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      ...(withSeconds ? { second: '2-digit' } : {}),
      hourCycle: 'h23',
    });
    dateTimeFormats.set(key, f);
  }
  return f;
}

export function formatDateTime(iso: string | null | undefined, language: Language, withSeconds = false): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return dateTimeFormat(language, withSeconds).format(date);
}

export function formatNumber(value: number, language: Language): string {
  return new Intl.NumberFormat(intlLocale(language)).format(value);
}

/** "CN=server.example, O=Example" → "server.example" when a CN is present, else the whole DN. */
export function commonName(subject: string): string {
  const match = /(?:^|[,/]\s*)CN=([^,/]+)/i.exec(subject);
  return match?.[1]?.trim() ?? subject;
}

/** The file name of a path, for either separator. */
export function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return parts[parts.length - 1] || path;
}

/**
 * The local offset from UTC at `date`, named the way Windows names time zones: "UTC+09:00".
 * Shown next to local times so an admin comparing with another server's logs knows the zone.
 */
export function utcOffsetLabel(date: Date = new Date()): string {
  const minutes = -date.getTimezoneOffset();
  const sign = minutes < 0 ? '-' : '+';
  const abs = Math.abs(minutes);
  return `UTC${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}
