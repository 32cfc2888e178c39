/**
 * proper-lockfile's lock, plus a note of who holds it, so a lock left by a process that is
 * gone (a crash, a kill, a power cut) is taken over at once instead of after its stale time.
 *
 * Next to the lock folder, `<lock>.owner` names the holder's PID and host and the identity of
 * the lock folder it made. A process that finds the lock taken reads the note: when it names
 * this host, this very lock folder and a PID that is no longer alive, the folder is removed and
 * the lock taken. Anything else - no note (a crash between making the folder and writing it),
 * another host (a shared folder), a note of an older lock, a PID alive again (reused) - falls
 * back to proper-lockfile's stale time, which is what it did before. A live holder is never
 * taken over by this: its PID is alive.
 *
 * Two processes that find the same dead owner at once: the lock folder's identity is checked
 * right before it is removed, so the second one sees the first one's new folder and backs off.
 * The window left between that check and the removal is the one proper-lockfile's own stale
 * takeover has.
 */
import lockfile, { type LockOptions } from 'proper-lockfile';
import { rmdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { pathIdentity } from './durable-fs.js';
import { thisProcess, type LockOwnerProbe } from './process-probe.js';

export type { LockOwnerProbe };

interface OwnerNote {
  pid: number;
  hostname: string;
  lock: string;
}

const ownerFile = (lockPath: string) => `${lockPath}.owner`;

async function readOwner(lockPath: string): Promise<OwnerNote | null> {
  try {
    const note = JSON.parse(await readFile(ownerFile(lockPath), 'utf8')) as Partial<OwnerNote>;
    return Number.isSafeInteger(note.pid) && (note.pid as number) > 0 && typeof note.hostname === 'string' && typeof note.lock === 'string' ? (note as OwnerNote) : null;
  } catch {
    return null;
  }
}

/** Removes the lock folder when its noted owner is gone; true when it did. */
async function takeOverFromTheDead(lockPath: string, probe: LockOwnerProbe): Promise<boolean> {
  const owner = await readOwner(lockPath);
  const lock = pathIdentity(lockPath);
  if (!owner || lock === null || owner.lock !== lock || owner.hostname !== probe.hostname || owner.pid === probe.pid || probe.isAlive(owner.pid)) return false;
  if (pathIdentity(lockPath) !== lock) return false;
  try {
    await rmdir(lockPath);
    return true;
  } catch {
    return false;
  }
}

/**
 * proper-lockfile's lock(target, options) that takes over a lock whose owner is gone. The
 * returned function releases it (and removes the note). Errors are proper-lockfile's (ELOCKED).
 */
export async function lockOwned(target: string, options: LockOptions & { lockfilePath: string }, probe: LockOwnerProbe = thisProcess): Promise<() => Promise<void>> {
  const lockPath = options.lockfilePath;
  let release: () => Promise<void>;
  try {
    // One quick try first: a dead owner is found without waiting through the retries.
    release = await lockfile.lock(target, { ...options, retries: 0 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ELOCKED') throw error;
    release = (await takeOverFromTheDead(lockPath, probe)) ? await lockfile.lock(target, { ...options, retries: 0 }) : await lockfile.lock(target, options);
  }
  const note: OwnerNote = { pid: probe.pid, hostname: probe.hostname, lock: pathIdentity(lockPath) ?? '' };
  await writeFile(ownerFile(lockPath), JSON.stringify(note) + '\n', { mode: 0o600 }).catch(() => undefined);
  return async () => {
    await unlink(ownerFile(lockPath)).catch(() => undefined);
    await release();
  };
}
