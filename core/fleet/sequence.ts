/**
 * The server's one signing counter. Every signed message takes the next number, whatever its
 * kind, and no number is ever handed out twice - not after a restart, a crash, a renewal or a
 * second process publishing from the same data directory (core/trust/replay.ts says why).
 *
 * Writing the counter to disk for every message would cost an fsync per check-in, so numbers
 * are reserved in blocks (the "hi/lo" pattern): sequence.json holds the high-water mark, which
 * is raised and flushed BEFORE any number below it is used. A crash loses at most the rest of a
 * block; gaps are harmless, reuse would not be. The reservation is made under a file lock, so
 * two processes get disjoint blocks.
 *
 * A block never starts below the reservation time in milliseconds x 1000. The file alone cannot
 * survive the case backups exist for: the server's machine is lost and a new one is set up
 * from the backup (or a .pfx), with no sequence.json. Counting from 1 again there would make
 * every agent refuse every message as a replay. With the time floor, the new machine starts
 * above every number the old one handed out, as long as its clock is right - which agents
 * already require, since they check each message's iat and exp. (1000 numbers per
 * millisecond is far above any real signing rate, and the floor stays below 2^53 until the
 * year 2255.)
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import lockfile from 'proper-lockfile';
import { z } from 'zod';
import { CertManagerError } from '../errors.js';
import { replaceFileAtomically } from '../store/durable-fs.js';

const FileSchema = z.object({ format: z.literal('cm-sequence/1'), reservedUpTo: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER) });

const DEFAULT_SEQUENCE_BLOCK = 1000;

/** The lowest number a block reserved at `nowMs` may start with. */
export const sequenceTimeFloor = (nowMs: number): number => Math.floor(nowMs) * 1000;

export class SequenceCounter {
  private next = 0;
  private limit = 0;
  private reserving: Promise<void> | null = null;

  constructor(
    readonly file: string,
    private readonly block = DEFAULT_SEQUENCE_BLOCK,
    /** The clock behind the time floor (injected by tests). */
    private readonly nowMs: () => number = Date.now,
  ) {
    if (!Number.isSafeInteger(block) || block < 1) throw new RangeError('SequenceCounter: block must be a positive integer');
  }

  /** The next number; strictly greater than every number handed out before, by any process. */
  async take(): Promise<number> {
    while (this.next >= this.limit) {
      this.reserving ??= this.reserve().finally(() => (this.reserving = null));
      await this.reserving;
    }
    return this.next++;
  }

  /** The high-water mark on disk (0 when nothing was ever reserved). */
  async reservedUpTo(): Promise<number> {
    return readMark(this.file);
  }

  private async reserve(): Promise<void> {
    await mkdir(dirname(this.file), { recursive: true, mode: 0o700 });
    const release = await lockfile.lock(this.file, { realpath: false, stale: 10_000, update: 2_000, retries: { retries: 100, minTimeout: 5, maxTimeout: 100, factor: 1.5 } });
    try {
      const mark = await readMark(this.file);
      const base = Math.max(mark, this.next, 1, sequenceTimeFloor(this.nowMs()));
      if (!Number.isSafeInteger(base + this.block))
        throw new CertManagerError('internal', 'SEQUENCE_EXHAUSTED', `The signing counter ${this.file} cannot go higher. Check the system clock.`);
      await replaceFileAtomically(this.file, JSON.stringify({ format: 'cm-sequence/1', reservedUpTo: base + this.block }) + '\n', 0o600);
      this.next = base;
      this.limit = base + this.block;
    } finally {
      await release().catch(() => undefined);
    }
  }
}

async function readMark(file: string): Promise<number> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
  let value: unknown = null;
  try {
    value = JSON.parse(text);
  } catch {
    // damaged: refused below
  }
  const parsed = FileSchema.safeParse(value);
  // Never guess a lower number: a damaged counter must stop signing, not restart at zero.
  if (!parsed.success)
    throw new CertManagerError('internal', 'SEQUENCE_DAMAGED', `The signing counter ${file} is damaged. Put back a copy, or write a number higher than any seen by agents into it.`);
  return parsed.data.reservedUpTo;
}
