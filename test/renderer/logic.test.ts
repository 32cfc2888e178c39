import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { expiryInfo, nextTickMs, splitDuration } from '../../renderer/src/lib/countdown.js';
import { baseName, commonName, fingerprintBlocks, fingerprintRows, formatDateTime, formatFingerprint, normalizeFingerprint, shortFingerprint } from '../../renderer/src/lib/format.js';
import { clampOffset, pageInfo } from '../../renderer/src/lib/paging.js';
import { buildLogQuery, emptyLogFilters, localInputToIso, parseFilterTime, validateSettings } from '../../renderer/src/lib/forms.js';
import { backupFileName } from '../../renderer/src/lib/names.js';

beforeAll(() => {
  process.env.TZ = 'UTC';
});

const FP = '0123456789abcdef'.repeat(4);
const DAY = 86_400_000;

describe('fingerprint formatting', () => {
  it('groups 64 hex digits into 16 upper-case blocks of four', () => {
    expect(fingerprintBlocks(FP)).toHaveLength(16);
    expect(formatFingerprint(FP)).toBe('0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567 89AB CDEF 0123 4567 89AB CDEF');
  });

  it('ignores separators and case in the input', () => {
    expect(formatFingerprint('01:23:ab:CD')).toBe('0123 ABCD');
    expect(normalizeFingerprint('01 23 AB cd')).toBe('0123abcd');
    expect(normalizeFingerprint(formatFingerprint(FP))).toBe(FP);
  });

  it('lays the blocks out in two rows of eight', () => {
    const rows = fingerprintRows(FP);
    expect(rows).toEqual(['0123 4567 89AB CDEF 0123 4567 89AB CDEF', '0123 4567 89AB CDEF 0123 4567 89AB CDEF']);
  });

  it('shortens for tables', () => {
    expect(shortFingerprint(FP)).toBe('0123 4567 … CDEF');
    expect(shortFingerprint('abcd')).toBe('ABCD');
  });
});

describe('other formatting', () => {
  it('takes the CN of a subject', () => {
    expect(commonName('CN=server.example.com, O=Example')).toBe('server.example.com');
    expect(commonName('O=Example, CN=corp-server')).toBe('corp-server');
    expect(commonName('/C=JP/CN=srv01/O=X')).toBe('srv01');
    expect(commonName('O=Only')).toBe('O=Only');
  });

  it('takes the file name of Windows and POSIX paths', () => {
    expect(baseName('C:\\user\\test\\Desktop\\a.zip')).toBe('a.zip');
    expect(baseName('/tmp/b.pfx')).toBe('b.pfx');
  });

  it('formats dates per language', () => {
    expect(formatDateTime('2025-01-06T13:52:00Z', 'ja')).toBe('2025/01/06 13:52');
    expect(formatDateTime('2025-01-06T13:52:00Z', 'en')).toBe('Jan 6, 2025, 13:52');
    expect(formatDateTime('2025-01-06T13:52:07Z', 'ja', true)).toBe('2025/01/06 13:52:07');
    expect(formatDateTime(null, 'en')).toBe('');
    expect(formatDateTime('not a date', 'en')).toBe('not a date');
  });

  it('offers dated default file names', () => {
    expect(backupFileName(new Date('2025-01-06T13:52:00Z'))).toBe('certificate-backup-20250106-1352.zip');
  });
});

describe('expiry countdown', () => {
  const notBefore = '2025-01-01T00:00:00Z';
  const notAfter = '2026-01-01T00:00:00Z';
  const at = (iso: string) => new Date(iso);

  it('splits a duration into days, hours, minutes and seconds', () => {
    expect(splitDuration(DAY * 3 + 3_600_000 * 4 + 60_000 * 5 + 6_000)).toMatchObject({ days: 3, hours: 4, minutes: 5, seconds: 6 });
    expect(splitDuration(-5)).toMatchObject({ days: 0, hours: 0, minutes: 0, seconds: 0, totalMs: 0 });
  });

  it('is valid well before expiry', () => {
    const info = expiryInfo(notBefore, notAfter, at('2025-06-01T00:00:00Z'), 30);
    expect(info.status).toBe('valid');
    expect(info.remaining.days).toBe(214);
    expect(info.daysLeft).toBe(214);
    expect(info.elapsedFraction).toBeCloseTo(151 / 365, 3);
  });

  it('warns from exactly warningDays before expiry', () => {
    expect(expiryInfo(notBefore, notAfter, new Date(Date.parse(notAfter) - 30 * DAY - 1), 30).status).toBe('valid');
    expect(expiryInfo(notBefore, notAfter, new Date(Date.parse(notAfter) - 30 * DAY), 30).status).toBe('expiring');
    const info = expiryInfo(notBefore, notAfter, at('2025-12-31T22:30:00Z'), 30);
    expect(info.status).toBe('expiring');
    expect(info.remaining).toMatchObject({ days: 0, hours: 1, minutes: 30 });
  });

  it('is expired at notAfter and counts the days since', () => {
    expect(expiryInfo(notBefore, notAfter, at(notAfter), 30).status).toBe('expired');
    const info = expiryInfo(notBefore, notAfter, at('2026-01-11T12:00:00Z'), 30);
    expect(info.status).toBe('expired');
    expect(info.daysSinceExpiry).toBe(10);
    expect(info.remaining.totalMs).toBe(0);
    expect(info.elapsedFraction).toBe(1);
  });

  it('is not yet valid before notBefore', () => {
    const info = expiryInfo(notBefore, notAfter, at('2024-12-30T00:00:00Z'), 30);
    expect(info.status).toBe('not-yet-valid');
    expect(info.untilValid.days).toBe(2);
    expect(info.elapsedFraction).toBe(0);
  });

  it('uses the warning setting', () => {
    const now = at('2025-11-15T00:00:00Z');
    expect(expiryInfo(notBefore, notAfter, now, 30).status).toBe('valid');
    expect(expiryInfo(notBefore, notAfter, now, 60).status).toBe('expiring');
  });

  it('wakes its timer when the minute changes', () => {
    expect(nextTickMs(new Date('2025-01-01T00:00:59.000Z'))).toBe(1005);
    expect(nextTickMs(new Date('2025-01-01T00:00:00.000Z'))).toBe(60_005);
    expect(nextTickMs(new Date('2025-01-01T00:00:00.400Z'), 'second')).toBe(605);
  });
});

describe('server-side paging', () => {
  it('describes a page', () => {
    expect(pageInfo(100_000, 0, 50)).toMatchObject({ page: 1, pages: 2000, from: 1, to: 50, hasPrevious: false, hasNext: true, nextOffset: 50, lastOffset: 99_950 });
    expect(pageInfo(100_000, 99_950, 50)).toMatchObject({ page: 2000, from: 99_951, to: 100_000, hasNext: false, previousOffset: 99_900 });
    expect(pageInfo(101, 100, 50)).toMatchObject({ page: 3, pages: 3, from: 101, to: 101, lastOffset: 100 });
  });

  it('handles an empty result', () => {
    expect(pageInfo(0, 0, 25)).toMatchObject({ page: 1, pages: 1, from: 0, to: 0, hasPrevious: false, hasNext: false, lastOffset: 0 });
  });

  it('clamps an offset beyond the end (rows were fixed meanwhile)', () => {
    expect(pageInfo(30, 75, 25)).toMatchObject({ page: 2, from: 26, to: 30 });
    expect(clampOffset(30, 75, 25)).toBe(25);
    expect(clampOffset(0, 75, 25)).toBe(0);
    expect(clampOffset(300, 75, 25)).toBe(75);
  });
});

describe('auth-failure log filters', () => {
  it('converts datetime-local values (local time) to ISO instants', () => {
    expect(localInputToIso('2025-01-06T13:52')).toBe('2025-01-06T13:52:00.000Z');
    expect(localInputToIso('')).toBeNull();
    expect(localInputToIso('yesterday')).toBeNull();
  });

  it('builds a query with only the filters set', () => {
    expect(buildLogQuery(emptyLogFilters, 0, 50)).toEqual({ ok: true, query: { offset: 0, limit: 50 } });
    const built = buildLogQuery({ agentId: '  agent-7 ', reason: 'bad-signature', from: '2025-01-01T00:00', to: '2025-01-02T00:00' }, 100, 50);
    expect(built).toEqual({
      ok: true,
      query: { offset: 100, limit: 50, agentId: 'agent-7', reason: 'bad-signature', from: '2025-01-01T00:00:00.000Z', to: '2025-01-02T00:00:59.999Z' },
    });
  });

  it('reads dates as the app\'s language writes them, not as the browser\'s date picker would', () => {
    expect(parseFilterTime('2026/12/03 09:05', 'ja', 'start')).toBe('2026-12-03T09:05');
    expect(parseFilterTime('2026/12/03', 'ja', 'start')).toBe('2026-12-03T00:00');
    expect(parseFilterTime('2026/12/03', 'ja', 'end')).toBe('2026-12-03T23:59');
    expect(parseFilterTime(' ２０２６／１２／０３　０９：０５ ', 'ja', 'start')).toBe('2026-12-03T09:05');
    expect(parseFilterTime('2026-1-2', 'en', 'start')).toBe('2026-01-02T00:00');
    expect(parseFilterTime('2026-12-03T09:05', 'ja', 'start')).toBe('2026-12-03T09:05');
    expect(parseFilterTime('12/03/2026 9:05', 'en', 'start')).toBe('2026-12-03T09:05');
    // Month first is English only: a Japanese admin never writes it, so it is not guessed.
    expect(parseFilterTime('12/03/2026', 'ja', 'start')).toBeNull();
    for (const bad of ['2026/02/30', '2026/13/01', '2026/12/03 24:00', '2026/12/03 09:60', '2026-12/03', 'yesterday', '03.12.2026'])
      expect(parseFilterTime(bad, 'en', 'start'), bad).toBeNull();
    expect(buildLogQuery({ ...emptyLogFilters, to: '2026/02/30' }, 0, 50, 'ja')).toEqual({ ok: false, problem: 'format', field: 'to' });
    expect(buildLogQuery({ ...emptyLogFilters, from: '2026/12/03', to: '2026/12/03' }, 0, 50, 'ja')).toMatchObject({
      ok: true,
      query: { from: new Date(2026, 11, 3, 0, 0).toISOString(), to: new Date(2026, 11, 3, 23, 59, 59, 999).toISOString() },
    });
  });

  it('refuses a range that ends before it starts', () => {
    expect(buildLogQuery({ ...emptyLogFilters, from: '2025-01-02T00:00', to: '2025-01-01T00:00' }, 0, 50)).toEqual({ ok: false, problem: 'range' });
    expect(buildLogQuery({ ...emptyLogFilters, from: '2025-01-01T00:00', to: '2025-01-01T00:00' }, 0, 50).ok).toBe(true);
  });
});

describe('settings form', () => {
  it('accepts whole numbers in range', () => {
    expect(validateSettings({ logUploadIntervalMinutes: '60', expiryWarningDays: ' 30 ', language: 'ja' })).toEqual({
      ok: true,
      settings: { logUploadIntervalMinutes: 60, expiryWarningDays: 30, language: 'ja' },
    });
  });

  it('names each field out of range or not a whole number', () => {
    expect(validateSettings({ logUploadIntervalMinutes: '4', expiryWarningDays: '366', language: 'auto' })).toEqual({ ok: false, invalid: ['logUploadIntervalMinutes', 'expiryWarningDays'] });
    expect(validateSettings({ logUploadIntervalMinutes: '1.5', expiryWarningDays: '30', language: 'auto' })).toEqual({ ok: false, invalid: ['logUploadIntervalMinutes'] });
    expect(validateSettings({ logUploadIntervalMinutes: '1440', expiryWarningDays: '', language: 'auto' })).toEqual({ ok: false, invalid: ['expiryWarningDays'] });
  });

  it('takes the numbers a bound number input gives, and null for an empty one', () => {
    expect(validateSettings({ logUploadIntervalMinutes: 15, expiryWarningDays: 7, language: 'en' })).toEqual({ ok: true, settings: { logUploadIntervalMinutes: 15, expiryWarningDays: 7, language: 'en' } });
    expect(validateSettings({ logUploadIntervalMinutes: 3, expiryWarningDays: null, language: 'en' })).toEqual({ ok: false, invalid: ['logUploadIntervalMinutes', 'expiryWarningDays'] });
    expect(validateSettings({ logUploadIntervalMinutes: 2.5, expiryWarningDays: 7, language: 'en' })).toEqual({ ok: false, invalid: ['logUploadIntervalMinutes'] });
  });
});

afterEach(() => {
  vi.useRealTimers();
});
