/**
 * The inter-process lock: one writer at a time across the CLI, the app and `serve`.
 *
 * proper-lockfile uses an atomic mkdir and refreshes the lock's mtime while held. A lock left
 * by a process that is gone (a crash, a kill, a power cut) is taken over at once when its
 * owner note names a dead PID on this host (owned-lock.ts), and otherwise goes stale after
 * STALE_MS, so it never blocks the admin for long. Readers (status, the feed) never take the
 * lock: they read the CURRENT pointer, which is switched atomically.
 */
import { join } from 'node:path';
import { stat, utimes } from 'node:fs/promises';
import { wrongState } from '../errors.js';
import { ensureDataDir, removeUnusedDataDir } from './store.js';
import { pathIdentity } from './durable-fs.js';
import { lockOwned } from './owned-lock.js';

const STALE_MS = 5_000;
const UPDATE_MS = 1_000;
const LOCK_NAME = 'store.lock';

/** Throws when the lock was lost (taken over as stale, or its folder removed) while held. */
type LockGuard = () => void;

export async function withStoreLock<T>(dataDir: string, work: (guard: LockGuard) => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  let compromised: Error | null = null;
  // Every writer comes through here: the folder is created if needed, and taken back for
  // administrators, once per change (the lock file lives inside it).
  const created = await ensureDataDir(dataDir);
  await ageLockFromTheFuture(join(dataDir, LOCK_NAME));
  try {
    release = await lockOwned(dataDir, {
      lockfilePath: join(dataDir, LOCK_NAME),
      stale: STALE_MS,
      update: UPDATE_MS,
      retries: 0,
      realpath: false,
      // The default throws from a timer, killing the process with a stack trace; instead the
      // operation notices at its commit point and stops without switching anything in.
      onCompromised: (error) => {
        compromised = error;
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED')
      throw wrongState('STORE_LOCKED', 'Another CertificateManager is changing the certificate store. Wait for it to finish, then run the command again.');
    throw error;
  }
  // The lock folder we created. proper-lockfile notices a takeover only at its next refresh
  // (up to a second later); a writer that stalled past STALE_MS (a sleeping laptop, a frozen
  // VM) must not switch CURRENT in that window, so the guard also checks that the folder is
  // still the one we made.
  const lockPath = join(dataDir, LOCK_NAME);
  const ours = pathIdentity(lockPath);
  const guard: LockGuard = () => {
    if (compromised || ours === null || pathIdentity(lockPath) !== ours)
      throw wrongState('STORE_LOCK_LOST', 'The store lock was taken away while this command ran (another program, or the lock folder was removed). Nothing was changed; run the command again.');
  };
  let failed = false;
  try {
    return await work(guard);
  } catch (error) {
    failed = true;
    throw error;
  } finally {
    // Never release a lock folder another process made after taking ours over: that would
    // remove its lock. (proper-lockfile's refresh notices the takeover and stops by itself.)
    if (!compromised && pathIdentity(lockPath) === ours) await release().catch(() => undefined);
    // A refused operation on a new --data-dir leaves no empty store behind.
    if (failed && created.length > 0) await removeUnusedDataDir(created);
  }
}

/**
 * proper-lockfile calls a lock stale when its time is older than STALE_MS; one dated in the
 * future (the clock was set back, or a copied folder) would never be, and would block every
 * write forever. A live holder refreshes it to its own "now" on this same clock every
 * UPDATE_MS, so a time more than STALE_MS ahead cannot be a live holder's: date it back so
 * the usual takeover applies.
 */
async function ageLockFromTheFuture(lockPath: string): Promise<void> {
  const info = await stat(lockPath).catch(() => null);
  if (info && info.mtimeMs > Date.now() + STALE_MS) await utimes(lockPath, new Date(0), new Date(0)).catch(() => undefined);
}
