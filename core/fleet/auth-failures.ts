/**
 * Auth-failure records uploaded by agents: an append-only NDJSON file (one record per line,
 * flushed with fsync once per upload batch) and an in-memory index that answers the app's
 * queries. No database: at 100,000 records the file is ~30 MB, read once and then followed
 * by offset, and a query is a binary search on time plus one scan.
 *
 * The server (`serve`) is the only writer (it holds serve.lock); the app only reads, by
 * following the file from the offset it reached (FailureFileTail). Uploads are idempotent by
 * record id *within one agent*: ids that agent already stored - in this run or any earlier one -
 * are not written again. Another agent's record with the same id is another record, so no one
 * can pre-empt an agent's upload by sending its ids first (issue #11, finding 1).
 */
import { open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AuthFailureQuerySchema, type AuthFailurePage, type AuthFailureQuery, type AuthFailureRecord } from '../schemas.js';

interface Entry {
  record: AuthFailureRecord;
  /** Epoch milliseconds of record.time. */
  t: number;
  /** Insertion number: ties in time are shown newest-stored first. */
  n: number;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const MAX_DISTINCT_REASONS = 128;

/** A light check of a stored line (the server validated it with zod before writing it). */
function toStoredRecord(value: unknown): AuthFailureRecord | null {
  if (typeof value !== 'object' || value === null) return null;
  const v = value as Record<string, unknown>;
  if (!isString(v.id) || !isString(v.agentId) || !isString(v.time) || !isString(v.messageKind) || !isString(v.reason)) return null;
  if (v.fingerprintSeen !== null && !isString(v.fingerprintSeen)) return null;
  if (v.detail !== undefined && v.detail !== null && !isString(v.detail)) return null;
  if (Number.isNaN(Date.parse(v.time))) return null;
  const record: AuthFailureRecord = { id: v.id, agentId: v.agentId, time: v.time, messageKind: v.messageKind, reason: v.reason, fingerprintSeen: v.fingerprintSeen };
  if (v.detail !== undefined) record.detail = v.detail;
  return record;
}

export class FailureIndex {
  private readonly entries: Entry[] = [];
  /** Indices into entries, newest first (time descending, then insertion descending). */
  private order: number[] = [];
  /** Added since `order` was last brought up to date. */
  private pending: number[] = [];
  /**
   * Per agent: its record ids (-> index into entries) and its entries in insertion order. Ids are
   * scoped per agent, and looked up in the agent's own map: no key string is built per lookup,
   * which matters at 100,000 records a second.
   */
  private readonly byAgent = new Map<string, { ids: Map<string, number>; entries: number[] }>();
  private readonly reasonCounts = new Map<string, number>();

  get size(): number {
    return this.entries.length;
  }

  has(agentId: string, id: string): boolean {
    return this.byAgent.get(agentId)?.ids.has(id) ?? false;
  }

  /** The record an agent stored under an id, if any. */
  get(agentId: string, id: string): AuthFailureRecord | undefined {
    const index = this.byAgent.get(agentId)?.ids.get(id);
    return index === undefined ? undefined : this.entries[index]!.record;
  }

  /** Records stored for one agent. */
  countFor(agentId: string): number {
    return this.byAgent.get(agentId)?.entries.length ?? 0;
  }

  /**
   * Adds a record; false (and nothing changes) when its agent already stored its id. It is
   * ordered by its time bounded by when the server received it (`receivedAtMs`): an agent's
   * clock cannot hold a record dated 9999 at the top of the log.
   */
  add(record: AuthFailureRecord, receivedAtMs = Infinity): boolean {
    let agent = this.byAgent.get(record.agentId);
    if (agent?.ids.has(record.id)) return false;
    const time = Date.parse(record.time);
    if (Number.isNaN(time)) return false;
    const t = Math.min(time, receivedAtMs);
    const index = this.entries.length;
    this.entries.push({ record, t, n: index });
    if (!agent) this.byAgent.set(record.agentId, (agent = { ids: new Map(), entries: [] }));
    agent.ids.set(record.id, index);
    agent.entries.push(index);
    this.pending.push(index);
    // The reasons offered as a filter: bounded, since an agent chooses the strings it uploads.
    if (this.reasonCounts.has(record.reason) || this.reasonCounts.size < MAX_DISTINCT_REASONS)
      this.reasonCounts.set(record.reason, (this.reasonCounts.get(record.reason) ?? 0) + 1);
    return true;
  }

  private readonly newestFirst = (a: number, b: number): number => {
    const ea = this.entries[a]!;
    const eb = this.entries[b]!;
    return eb.t - ea.t || eb.n - ea.n;
  };

  /** Merges the pending entries into `order`: a sort of the new ones, then one linear merge. */
  private sorted(): number[] {
    if (this.pending.length === 0) return this.order;
    const fresh = this.pending.sort(this.newestFirst);
    this.pending = [];
    const merged = new Array<number>(this.order.length + fresh.length);
    let i = 0;
    let j = 0;
    let k = 0;
    while (i < this.order.length && j < fresh.length) merged[k++] = this.newestFirst(this.order[i]!, fresh[j]!) <= 0 ? this.order[i++]! : fresh[j++]!;
    while (i < this.order.length) merged[k++] = this.order[i++]!;
    while (j < fresh.length) merged[k++] = fresh[j++]!;
    this.order = merged;
    return merged;
  }

  /** Filters (agentId, reason, from..to inclusive) and pages, newest first. */
  query(input: AuthFailureQuery): AuthFailurePage {
    const q = AuthFailureQuerySchema.parse(input);
    const from = q.from ? Date.parse(q.from) : -Infinity;
    const to = q.to ? Date.parse(q.to) : Infinity;
    let candidates: number[];
    let lo = 0;
    let hi: number;
    if (q.agentId !== undefined) {
      candidates = [...(this.byAgent.get(q.agentId)?.entries ?? [])].sort(this.newestFirst);
      hi = candidates.length;
    } else {
      candidates = this.sorted();
      // Newest first: skip what is after `to`, stop where it is before `from`.
      lo = firstIndex(candidates.length, (i) => this.entries[candidates[i]!]!.t <= to);
      hi = firstIndex(candidates.length, (i) => this.entries[candidates[i]!]!.t < from);
    }
    const records: AuthFailureRecord[] = [];
    let total = 0;
    for (let i = lo; i < hi; i++) {
      const entry = this.entries[candidates[i]!]!;
      if (entry.t > to || entry.t < from) continue;
      if (q.reason !== undefined && entry.record.reason !== q.reason) continue;
      if (total >= q.offset && records.length < q.limit) records.push({ ...entry.record });
      total++;
    }
    const reasons = [...this.reasonCounts.keys()].sort();
    return { total, offset: q.offset, records, reasons };
  }
}

/** The first i in [0, n) for which the monotone predicate holds (n when none). */
function firstIndex(n: number, predicate: (i: number) => boolean): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (predicate(mid)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

const CHUNK = 4 * 1024 * 1024;
const NEWLINE = 0x0a;

/**
 * Reads the complete lines of `file` from byte `offset` to its current end and returns the
 * offset just after the last newline read: a line still being written is left for next time.
 */
async function readLines(file: string, offset: number, onLine: (line: string) => void): Promise<{ offset: number; size: number }> {
  let handle: FileHandle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { offset: 0, size: 0 };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    let position = offset;
    let carry: Buffer = Buffer.alloc(0);
    let consumed = offset;
    while (position < size) {
      const length = Math.min(CHUNK, size - position);
      const buffer = Buffer.allocUnsafe(length);
      const { bytesRead } = await handle.read(buffer, 0, length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data: Buffer = carry.length ? Buffer.concat([carry, buffer.subarray(0, bytesRead)]) : buffer.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(NEWLINE, start); nl !== -1; nl = data.indexOf(NEWLINE, start)) {
        if (nl > start) onLine(data.toString('utf8', start, nl));
        start = nl + 1;
      }
      carry = Buffer.from(data.subarray(start));
      consumed = position - carry.length;
    }
    return { offset: consumed, size };
  } finally {
    await handle.close();
  }
}

/** A stored line: the record, and when the server received it (NaN for lines without it). */
function parseLine(line: string): { record: AuthFailureRecord; receivedAtMs: number } | null {
  try {
    const value = JSON.parse(line) as { receivedAt?: unknown };
    const record = toStoredRecord(value);
    return record && { record, receivedAtMs: typeof value.receivedAt === 'string' ? Date.parse(value.receivedAt) : NaN };
  } catch {
    return null;
  }
}
const addLine = (index: FailureIndex, line: string) => {
  const parsed = parseLine(line);
  if (parsed) index.add(parsed.record, Number.isNaN(parsed.receivedAtMs) ? Infinity : parsed.receivedAtMs);
};

/** The app's reader: follows the file by offset; starts over when the file was replaced or cut. */
export class FailureFileTail {
  private index = new FailureIndex();
  private offset = 0;
  private identity: string | null = null;
  private refreshing: Promise<void> | null = null;

  constructor(readonly file: string) {}

  /** The index, brought up to date with the file. */
  async current(): Promise<FailureIndex> {
    this.refreshing ??= this.refresh().finally(() => (this.refreshing = null));
    await this.refreshing;
    return this.index;
  }

  private async refresh(): Promise<void> {
    const info = await stat(this.file).catch(() => null);
    const identity = info ? `${info.dev}:${info.ino}` : null;
    if (!info || identity !== this.identity || info.size < this.offset) {
      this.index = new FailureIndex();
      this.offset = 0;
      this.identity = identity;
      if (!info) return;
    }
    if (info.size === this.offset) return;
    const index = this.index;
    const result = await readLines(this.file, this.offset, (line) => addLine(index, line));
    this.offset = result.offset;
  }
}

/** The server's writer: loads the index, repairs a torn last line, appends batches durably. */
export class AuthFailureLog {
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(
    readonly file: string,
    readonly index: FailureIndex,
    private handle: FileHandle,
    /** Bytes of complete lines in the file. */
    private size: number,
  ) {}

  static async open(file: string): Promise<AuthFailureLog> {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const index = new FailureIndex();
    const { offset, size } = await readLines(file, 0, (line) => addLine(index, line));
    // A crash in the middle of an append leaves part of a line: cut it, or the next batch
    // would be glued to it. Its records were never acknowledged, so the agent sends them again.
    if (offset < size) await truncate(file, offset);
    const handle = await open(file, 'a', 0o600);
    return new AuthFailureLog(file, index, handle, offset);
  }

  /**
   * Stores the records whose ids are new (in one write and one fsync) and returns them;
   * records already stored are counted as duplicates. Batches are applied one at a time.
   */
  append(records: readonly AuthFailureRecord[], receivedAt: Date): Promise<{ accepted: AuthFailureRecord[]; duplicates: number }> {
    const run = this.chain.then(async () => {
      const accepted: AuthFailureRecord[] = [];
      const seen = new Map<string, Set<string>>();
      for (const record of records) {
        if (this.index.has(record.agentId, record.id)) continue;
        let ids = seen.get(record.agentId);
        if (!ids) seen.set(record.agentId, (ids = new Set()));
        if (ids.has(record.id)) continue;
        ids.add(record.id);
        accepted.push(record);
      }
      if (accepted.length > 0) {
        const stamp = receivedAt.toISOString();
        const text = accepted.map((r) => JSON.stringify({ ...r, receivedAt: stamp })).join('\n') + '\n';
        const bytes = Buffer.from(text, 'utf8');
        try {
          await this.handle.write(bytes);
          await this.handle.datasync();
        } catch (error) {
          // A full disk half-way: take the partial batch back out; the agent will send it again.
          await this.handle.truncate(this.size).catch(() => undefined);
          throw error;
        }
        this.size += bytes.length;
        const receivedAtMs = receivedAt.getTime();
        for (const record of accepted) this.index.add(record, receivedAtMs);
      }
      return { accepted, duplicates: records.length - accepted.length };
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  async close(): Promise<void> {
    await this.chain;
    await this.handle.close();
  }
}
