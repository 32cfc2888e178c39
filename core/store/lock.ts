/**
 * The inter-process lock: one writer at a time across the CLI, the app and `serve`.
 *
 * proper-lockfile uses an atomic mkdir and refreshes the lock's mtime while held, so a lock
 * left by a killed process goes stale and is taken over after STALE_MS instead of blocking
 * the admin forever. Readers (status, the feed) never take the lock: they read the CURRENT
 * pointer, which is switched atomically.
 */
import lockfile from 'proper-lockfile';
import { join } from 'node:path';
import { wrongState } from '../errors.js';
import { ensureDataDir } from './store.js';
import { pathIdentity } from './durable-fs.js';

const STALE_MS = 5_000;
const UPDATE_MS = 1_000;
export const LOCK_NAME = 'store.lock';

/** Throws when the lock was lost (taken over as stale, or its folder removed) while held. */
export type LockGuard = () => void;

export async function withStoreLock<T>(dataDir: string, work: (guard: LockGuard) => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  let compromised: Error | null = null;
  // Every writer comes through here: the folder is created if needed, and taken back for
  // administrators, once per change (the lock file lives inside it).
  await ensureDataDir(dataDir);
  try {
    release = await lockfile.lock(dataDir, {
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
  try {
    return await work(guard);
  } finally {
    // Never release a lock folder another process made after taking ours over: that would
    // remove its lock. (proper-lockfile's refresh notices the takeover and stops by itself.)
    if (!compromised && pathIdentity(lockPath) === ours) await release().catch(() => undefined);
  }
}
