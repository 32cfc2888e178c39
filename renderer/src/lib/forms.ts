/** Form logic of the logs filter and the settings page. Pure; no DOM. */
import type { AuthFailureQuery, Settings } from '../../../core/schemas.js';
import type { Language } from '../../../core/api/language.js';

export interface LogFilters {
  agentId: string;
  reason: string;
  /** What the admin typed in the date fields, local time ("2026/12/03 09:00"; see parseFilterTime), or "". */
  from: string;
  to: string;
}

export const emptyLogFilters: LogFilters = { agentId: '', reason: '', from: '', to: '' };

/** A datetime-local value (local time) to an ISO instant; null when empty or invalid. */
export function localInputToIso(value: string): string | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/**
 * A date (and optional time) as an admin types it, to a datetime-local value, or null when it
 * is not a real date. The date filters are text fields, not the browser's date picker, because
 * Chromium lays the picker out in the browser's locale (mm/dd/yyyy) whatever the app's language.
 * Accepted: 2026/12/03, 2026-12-03 or 2026.12.03 in both languages, 12/03/2026 (month first) in
 * English, each with an optional time (09:00); full-width digits and separators from a Japanese
 * IME; and the datetime-local form itself. Without a time, "from" starts the day and "to" ends it.
 */
export function parseFilterTime(text: string, language: Language, edge: 'start' | 'end'): string | null {
  const value = text
    .trim()
    .replace(/[\uFF10-\uFF19]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[／]/g, '/')
    .replace(/[：]/g, ':')
    .replace(/[－]/g, '-')
    .replace(/[．]/g, '.')
    .replace(/\s+/g, ' ');
  const yearFirst = /^(\d{4})([-/.])(\d{1,2})\2(\d{1,2})(?:[ T](\d{1,2}):(\d{2}))?$/.exec(value);
  const monthFirst = language === 'en' ? /^(\d{1,2})\/(\d{1,2})\/(\d{4})(?: (\d{1,2}):(\d{2}))?$/.exec(value) : null;
  let parts: [number, number, number, string | undefined, string | undefined];
  if (yearFirst) parts = [Number(yearFirst[1]), Number(yearFirst[3]), Number(yearFirst[4]), yearFirst[5], yearFirst[6]];
  else if (monthFirst) parts = [Number(monthFirst[3]), Number(monthFirst[1]), Number(monthFirst[2]), monthFirst[4], monthFirst[5]];
  else return null;
  const [year, month, day, hourText, minuteText] = parts;
  const hour = hourText === undefined ? (edge === 'start' ? 0 : 23) : Number(hourText);
  const minute = minuteText === undefined ? (edge === 'start' ? 0 : 59) : Number(minuteText);
  // Let Date catch 2026/02/30 and 25:00: it rolls them over, so the fields no longer match.
  const date = new Date(year, month - 1, day, hour, minute);
  if (date.getFullYear() !== year || date.getMonth() !== month - 1 || date.getDate() !== day || date.getHours() !== hour || date.getMinutes() !== minute) return null;
  const pad = (n: number, width = 2) => String(n).padStart(width, '0');
  return `${pad(year, 4)}-${pad(month)}-${pad(day)}T${pad(hour)}:${pad(minute)}`;
}

type LogQueryResult = { ok: true; query: AuthFailureQuery } | { ok: false; problem: 'range' } | { ok: false; problem: 'format'; field: 'from' | 'to' };

export function buildLogQuery(filters: LogFilters, offset: number, limit: number, language: Language = 'en'): LogQueryResult {
  const query: AuthFailureQuery = { offset, limit };
  const agentId = filters.agentId.trim();
  if (agentId) query.agentId = agentId;
  if (filters.reason) query.reason = filters.reason;
  const fromLocal = filters.from.trim() ? parseFilterTime(filters.from, language, 'start') : null;
  if (filters.from.trim() && !fromLocal) return { ok: false, problem: 'format', field: 'from' };
  const toLocal = filters.to.trim() ? parseFilterTime(filters.to, language, 'end') : null;
  if (filters.to.trim() && !toLocal) return { ok: false, problem: 'format', field: 'to' };
  const from = fromLocal ? localInputToIso(fromLocal) : null;
  // "To" is inclusive of the whole minute the admin picked.
  const toStart = toLocal ? localInputToIso(toLocal) : null;
  const to = toStart ? new Date(new Date(toStart).getTime() + 59_999).toISOString() : null;
  if (from) query.from = from;
  if (to) query.to = to;
  if (from && to && from > to) return { ok: false, problem: 'range' };
  return { ok: true, query };
}

export const SETTINGS_LIMITS = {
  logUploadIntervalMinutes: { min: 5, max: 24 * 60 },
  expiryWarningDays: { min: 1, max: 365 },
} as const;

/** Field values as the form holds them (a number input bound in Svelte gives a number, or null when empty). */
export interface SettingsForm {
  logUploadIntervalMinutes: string | number | null;
  expiryWarningDays: string | number | null;
  language: Settings['language'];
}

type SettingsValidation =
  | { ok: true; settings: Settings }
  | { ok: false; invalid: (keyof typeof SETTINGS_LIMITS)[] };

function wholeNumberIn(value: string | number | null, min: number, max: number): number | null {
  const trimmed = value === null || value === undefined ? '' : String(value).trim();
  if (!/^\d+$/.test(trimmed)) return null;
  const n = Number(trimmed);
  return n >= min && n <= max ? n : null;
}

export function validateSettings(form: SettingsForm): SettingsValidation {
  const interval = wholeNumberIn(form.logUploadIntervalMinutes, SETTINGS_LIMITS.logUploadIntervalMinutes.min, SETTINGS_LIMITS.logUploadIntervalMinutes.max);
  const warning = wholeNumberIn(form.expiryWarningDays, SETTINGS_LIMITS.expiryWarningDays.min, SETTINGS_LIMITS.expiryWarningDays.max);
  const invalid: (keyof typeof SETTINGS_LIMITS)[] = [];
  if (interval === null) invalid.push('logUploadIntervalMinutes');
  if (warning === null) invalid.push('expiryWarningDays');
  if (interval === null || warning === null) return { ok: false, invalid };
  return { ok: true, settings: { logUploadIntervalMinutes: interval, expiryWarningDays: warning, language: form.language } };
}
