/**
 * Replaced private keys are destroyed once nothing can need them.
 *
 * A replaced certificate can never be restored (agents have moved on and restore refuses a
 * rollback), so its key has no use, and a stolen copy could still sign for agents that have
 * not rotated yet. Once the successor is committed (CURRENT names it) and the committed state
 * holds the rotation statement away from the old certificate (the feed publishes exactly that
 * state), the old generation's key.pem is overwritten, flushed and removed. Its state.json,
 * with the certificates and statements, stays.
 *
 * This runs only after a commit, and only on generations below CURRENT, so a crash at any
 * point leaves the old state (nothing destroyed yet: the commit had not happened) or the new
 * one (some old keys still there); the next commit finishes the job, since each run looks at
 * every older generation again. A generation whose certificate is not in the committed chain
 * (a damaged store repaired by a restore from elsewhere) keeps its key: it may be the only
 * copy of a key some agents trust.
 */
import { open, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { syncDirectory } from './durable-fs.js';

const KEY_FILE = 'key.pem';

interface CommittedChain {
  generation: number;
  state: { replaced: { certificateDer: string; version: number }[]; rotations: string[] };
}

const GENERATION = /^gen-(\d{6,})$/;

/** Replaced certificates whose rotation statement (moving trust from version v) is committed. */
function rotatedAway(chain: CommittedChain): Set<string> {
  // Statement i moves trust from version i+1 to i+2: version v is followed by statement v-1.
  return new Set(chain.state.replaced.filter((r) => chain.state.rotations.length >= r.version).map((r) => r.certificateDer));
}

/** Overwrites the file with zeros and flushes before removing it, so the plain key is not left in free blocks of most file systems. */
async function shred(path: string): Promise<void> {
  const handle = await open(path, 'r+');
  try {
    const { size } = await handle.stat();
    await handle.write(Buffer.alloc(size), 0, size, 0);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await rm(path, { force: true });
}

/**
 * Destroys the keys of older generations whose certificate the committed chain has rotated
 * away from. Returns the generation folders it changed. `afterEach` lets tests stop it half-way.
 */
export async function destroyReplacedKeys(generationsDir: string, committed: CommittedChain, afterEach: (folder: string) => void = () => undefined): Promise<string[]> {
  const retired = rotatedAway(committed);
  if (retired.size === 0) return [];
  const done: string[] = [];
  const names = await readdir(generationsDir).catch(() => [] as string[]);
  for (const name of names.sort()) {
    const n = Number(GENERATION.exec(name)?.[1] ?? NaN);
    if (!(n < committed.generation)) continue;
    const folder = join(generationsDir, name);
    const der = await readFile(join(folder, 'state.json'), 'utf8').then(
      (text) => (JSON.parse(text) as { current?: { certificateDer?: unknown } }).current?.certificateDer,
      () => undefined,
    );
    if (typeof der !== 'string' || !retired.has(der)) continue;
    const present = await shred(join(folder, KEY_FILE)).then(
      () => true,
      (error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return false;
        throw error;
      },
    );
    if (!present) continue;
    await syncDirectory(folder);
    done.push(folder);
    afterEach(folder);
  }
  return done;
}
