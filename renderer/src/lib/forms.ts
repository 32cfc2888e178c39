/** Form logic of the logs filter and the settings page. Pure; no DOM. */
import type { AuthFailureQuery, Settings } from '../../../core/api/schemas.js';

export interface LogFilters {
  agentId: string;
  reason: string;
  /** Values of <input type="datetime-local">: "2025-01-06T13:52" in local time, or "". */
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

export type LogQueryResult = { ok: true; query: AuthFailureQuery } | { ok: false; problem: 'range' };

export function buildLogQuery(filters: LogFilters, offset: number, limit: number): LogQueryResult {
  const query: AuthFailureQuery = { offset, limit };
  const agentId = filters.agentId.trim();
  if (agentId) query.agentId = agentId;
  if (filters.reason) query.reason = filters.reason;
  const from = localInputToIso(filters.from);
  // "To" is inclusive of the whole minute the admin picked.
  const toStart = localInputToIso(filters.to);
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

export type SettingsValidation =
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
