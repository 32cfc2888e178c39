/**
 * The audit trail on disk: `audit.jsonl` in the data folder, one chained entry per line
 * (entry.ts), administrators-only like the rest of the folder.
 *
 * Crash safety and truncation. A change to the certificate writes its entry into the new
 * generation's own folder (`audit.json`, with the log's head at that moment) before the commit
 * point, then appends it to the log. A crash between the two loses nothing: the next append (or
 * `audit`) finds the current generation's entry missing from the log and adds it first. And
 * every generation's record is a witness the log cannot outgrow: its entry must be in the log,
 * and the head it saw must still be there with the same hash, or `audit --verify` fails.
 *
 * Appends are serialised by their own lock (not the store's), so a refusal by a process that
 * could not take the store lock (STORE_LOCKED) is recorded too.
 */
import { open, readdir, readFile, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeToEventLog, type EventLogOptions } from '../platform/event-log.js';
import { lockOwned } from '../store/owned-lock.js';
import { storePaths } from '../store/store.js';
import { AuditEntrySchema, AuditFieldsSchema, chainEntry, entryHash, type AuditEntry, type AuditFields } from './entry.js';

const auditPaths = (dataDir: string) => ({
  log: storePaths(dataDir).audit,
  lock: join(dataDir, 'audit.lock'),
  /** The record a generation keeps of the change that made it. */
  generationRecord: (generationDir: string) => join(generationDir, 'audit.json'),
});

const GenerationAuditSchema = z.object({ entry: AuditFieldsSchema, logHead: z.object({ seq: z.number().int().positive(), hash: z.string() }).nullable() }).strict();
type GenerationAudit = z.infer<typeof GenerationAuditSchema>;

export interface AuditTrail {
  entries: AuditEntry[];
  /** The first thing that does not verify, or null. `line` is 1-based. */
  broken: { line: number | null; reason: string } | null;
}

/** Parses and checks the chain. Stops at the first broken line: nothing after it can be trusted. */
export function verifyChain(text: string): AuditTrail {
  const entries: AuditEntry[] = [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  for (let i = 0; i < lines.length; i++) {
    let parsed: AuditEntry;
    try {
      parsed = AuditEntrySchema.parse(JSON.parse(lines[i]!));
    } catch {
      return { entries, broken: { line: i + 1, reason: 'not an audit entry (edited, or written by something else)' } };
    }
    const previous = entries.at(-1);
    if (parsed.seq !== entries.length + 1) return { entries, broken: { line: i + 1, reason: `entry ${parsed.seq} where entry ${entries.length + 1} belongs (one was removed or moved)` } };
    if (parsed.prev !== (previous?.hash ?? '0'.repeat(64))) return { entries, broken: { line: i + 1, reason: 'does not follow the entry before it (an entry was removed, moved or edited)' } };
    const { hash, ...body } = parsed;
    if (entryHash(body) !== hash) return { entries, broken: { line: i + 1, reason: 'its content was changed after it was written' } };
    entries.push(parsed);
  }
  return { entries, broken: null };
}

const GENERATION_DIR = /^gen-\d{6,}$/;

async function currentGenerationDir(dataDir: string): Promise<string | null> {
  const name = (await readFile(storePaths(dataDir).current, 'utf8').catch(() => '')).trim();
  return GENERATION_DIR.test(name) ? join(storePaths(dataDir).generations, name) : null;
}

async function readGenerationAudit(dir: string): Promise<GenerationAudit | null | 'damaged'> {
  const text = await readFile(auditPaths('').generationRecord(dir), 'utf8').catch(() => null);
  if (text === null) return null;
  try {
    return GenerationAuditSchema.parse(JSON.parse(text));
  } catch {
    return 'damaged';
  }
}

async function readLogText(dataDir: string): Promise<string> {
  return readFile(auditPaths(dataDir).log, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return '';
    throw error;
  });
}

/**
 * The audit lock is an owned lock (store/owned-lock.ts), like the store's: one left by a process
 * that was killed while appending (a renewal killed right after its commit) is taken over at
 * once. Without its owner note (a kill between making the lock and noting its owner) it turns
 * stale LOCK_STALE_MS after its last refresh, and a waiter must keep trying for longer than
 * that: 25 + 50 + 100 + 200 ms, then 250 ms a try, about 12.4 s in all. The plain lock used
 * before gave up after 9.4 s, silently, and `audit` right after such a kill then showed the log
 * without the entry the crash left out (seen once in CI).
 */
const LOCK_STALE_MS = 10_000;
const LOCK_RETRIES = 4 + Math.ceil((LOCK_STALE_MS + 2_000 - 375) / 250);

async function withAuditLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  // Keyed by the log's path, not the folder's: proper-lockfile keeps one lock per path in a
  // process, and the store lock (held around commits) is keyed by the folder.
  const release = await lockOwned(auditPaths(dataDir).log, {
    lockfilePath: auditPaths(dataDir).lock,
    stale: LOCK_STALE_MS,
    realpath: false,
    retries: { retries: LOCK_RETRIES, factor: 2, minTimeout: 25, maxTimeout: 250 },
  });
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}

async function appendLines(dataDir: string, entries: AuditEntry[]): Promise<void> {
  const handle = await open(auditPaths(dataDir).log, 'a', 0o600);
  try {
    await handle.write(entries.map((e) => JSON.stringify(e) + '\n').join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Under the audit lock: the log as it is, with a torn last line (a crash mid-append: no line
 * end) cut off, and the current generation's entry added if a crash lost it.
 */
async function settledLog(dataDir: string): Promise<AuditEntry[]> {
  let text = await readLogText(dataDir);
  if (text && !text.endsWith('\n')) {
    const cut = text.lastIndexOf('\n') + 1;
    await truncate(auditPaths(dataDir).log, cut);
    text = text.slice(0, cut);
  }
  const trail = verifyChain(text);
  // A broken log is not ours to repair: entries are still appended after it (an auditor sees
  // both the break and what happened since), chained to the last entry that verified... no:
  // chained to the last line as written, so nothing new is lost to a later repair.
  const entries = trail.entries;
  const dir = await currentGenerationDir(dataDir);
  const record = dir ? await readGenerationAudit(dir) : null;
  if (record && record !== 'damaged' && !trail.broken && !entries.some((e) => e.id === record.entry.id)) {
    const recovered = chainEntry(record.entry, entries.at(-1) ?? null);
    await appendLines(dataDir, [recovered]);
    entries.push(recovered);
  }
  return trail.broken ? [...entries, ...lastLineAsWritten(text)] : entries;
}

/** The last line of a broken log, to chain new entries to what is there (not to repair it). */
function lastLineAsWritten(text: string): AuditEntry[] {
  const last = text.trimEnd().split('\n').at(-1);
  try {
    const parsed = JSON.parse(last ?? '') as AuditEntry;
    if (typeof parsed.seq === 'number' && typeof parsed.hash === 'string') return [parsed];
  } catch {
    // Unreadable: new entries start from it as if it were absent.
  }
  return [];
}

/** The log's head now: what a new generation records as the log it saw (see the header). */
export async function auditHead(dataDir: string): Promise<{ seq: number; hash: string } | null> {
  return withAuditLock(dataDir, async () => {
    const last = (await settledLog(dataDir)).at(-1);
    return last ? { seq: last.seq, hash: last.hash } : null;
  });
}

/** Adds what a crash left out (see the header) before the log is shown. Best effort. */
export async function settleAuditLog(dataDir: string): Promise<void> {
  await auditHead(dataDir).catch(() => undefined);
}

/** Appends one entry. Best effort for the caller: returns false (never throws) when it could not. */
export async function appendAuditEntry(dataDir: string, fields: AuditFields, eventLog: EventLogOptions = {}): Promise<boolean> {
  let written: AuditEntry | null = null;
  try {
    await withAuditLock(dataDir, async () => {
      const entries = await settledLog(dataDir);
      if (entries.some((e) => e.id === fields.id)) return;
      written = chainEntry(fields, entries.at(-1) ?? null);
      await appendLines(dataDir, [written]);
    });
  } catch {
    return false;
  }
  // Outside the lock: PowerShell takes a moment, and the log line is already safe.
  if (written) await writeToEventLog(written, eventLog);
  return true;
}

/**
 * Everything `audit --verify` checks: the chain, then each generation's record against it
 * (its entry is in the log unchanged; the head it saw is still there).
 */
export async function readAuditTrail(dataDir: string): Promise<AuditTrail> {
  const text = await readLogText(dataDir);
  const trail = verifyChain(text.endsWith('\n') || text === '' ? text : text.slice(0, text.lastIndexOf('\n') + 1));
  if (trail.broken) return trail;
  const byId = new Map(trail.entries.map((e) => [e.id, e]));
  const bySeq = new Map(trail.entries.map((e) => [e.seq, e]));
  const names = (await readdir(storePaths(dataDir).generations).catch(() => [] as string[])).filter((n) => GENERATION_DIR.test(n)).sort();
  const current = await currentGenerationDir(dataDir);
  for (const name of names) {
    const dir = join(storePaths(dataDir).generations, name);
    if (!(await stat(join(dir, 'state.json')).then(() => true, () => false))) continue;
    const record = await readGenerationAudit(dir);
    if (record === null) continue; // made by a version without the audit trail
    if (record === 'damaged') return { ...trail, broken: { line: null, reason: `the certificate store's record of ${name} is damaged` } };
    if (record.logHead && bySeq.get(record.logHead.seq)?.hash !== record.logHead.hash)
      return { ...trail, broken: { line: Math.min(record.logHead.seq, trail.entries.length + 1), reason: `the log before ${name} was cut or rewritten` } };
    const logged = byId.get(record.entry.id);
    if (!logged) {
      // The current generation's entry may not be appended yet (a crash): the next append adds it.
      if (dir === current && (record.logHead?.seq ?? 0) === trail.entries.length) continue;
      return { ...trail, broken: { line: null, reason: `the entry for ${name} (${record.entry.operation}, ${record.entry.time}) is missing: the log was cut or replaced` } };
    }
    const { format: _f, seq: _s, prev: _p, hash: _h, ...fields } = logged;
    if (JSON.stringify(AuditFieldsSchema.parse(fields)) !== JSON.stringify(record.entry))
      return { ...trail, broken: { line: logged.seq, reason: `the entry for ${name} differs from the certificate store's record of it` } };
  }
  return trail;
}

/** A generation's record, for commitStore to write before its commit point. */
export async function generationAuditRecord(dataDir: string, entry: AuditFields): Promise<string> {
  const record: GenerationAudit = { entry, logHead: await auditHead(dataDir).catch(() => null) };
  return JSON.stringify(record, null, 2) + '\n';
}

export type { AuditEntry, AuditFields };
