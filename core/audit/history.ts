/**
 * The app's History dialog and its CSV: the audit trail newest first, filtered by operation and
 * result, with whether it verifies. CSV conventions as the clients export (core/csv.ts):
 * UTF-8 with a BOM, stable English columns first, then columns in the admin's language.
 */
import { csvLine, localTimeWithOffset, UTF8_BOM } from '../csv.js';
import type { AuditEntry, AuditOperation } from './entry.js';
import { readAuditTrail, settleAuditLog, type AuditTrail } from './log.js';

interface HistoryQuery {
  operation?: AuditOperation;
  result?: 'ok' | 'refused';
  offset: number;
  limit: number;
}

interface HistoryPage {
  total: number;
  offset: number;
  entries: AuditEntry[];
  verified: boolean;
  broken: AuditTrail['broken'];
}

const matches = (query: Pick<HistoryQuery, 'operation' | 'result'>) => (e: AuditEntry) =>
  (!query.operation || e.operation === query.operation) && (!query.result || e.result === query.result);

async function trail(dataDir: string): Promise<AuditTrail> {
  await settleAuditLog(dataDir);
  return readAuditTrail(dataDir);
}

export async function queryHistory(dataDir: string, query: HistoryQuery): Promise<HistoryPage> {
  const t = await trail(dataDir);
  const selected = t.entries.filter(matches(query)).reverse();
  const offset = Math.min(query.offset, Math.max(0, selected.length - 1));
  return { total: selected.length, offset, entries: selected.slice(offset, offset + query.limit), verified: t.broken === null, broken: t.broken };
}

const HISTORY_CSV_HEADER = ['seq', 'time', 'operation', 'result', 'code', 'fingerprint before', 'fingerprint after', 'account', 'machine', 'via', 'hash'] as const;

interface HistoryCsvLabels {
  time: string;
  operation: string;
  result: string;
  operations: Readonly<Record<string, string>>;
  results: Readonly<Record<string, string>>;
}

const word = (words: Readonly<Record<string, string>>, key: string) => (Object.hasOwn(words, key) ? words[key]! : key);

export function historyCsv(entries: readonly AuditEntry[], labels?: HistoryCsvLabels): string {
  const header = [...HISTORY_CSV_HEADER, ...(labels ? [labels.time, labels.operation, labels.result] : [])];
  const rows = entries.map((e) => {
    const stable = [String(e.seq), e.time, e.operation, e.result, e.code, e.fingerprintBefore, e.fingerprintAfter, e.account, e.machine, e.via, e.hash];
    return csvLine(labels ? [...stable, localTimeWithOffset(e.time), word(labels.operations, e.operation), word(labels.results, e.result)] : stable);
  });
  return UTF8_BOM + csvLine(header) + rows.join('');
}

/** The filtered trail, newest first, as the dialog shows it. */
export async function historyForExport(dataDir: string, query: Pick<HistoryQuery, 'operation' | 'result'>): Promise<AuditEntry[]> {
  return (await trail(dataDir)).entries.filter(matches(query)).reverse();
}
