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

const STALE_MS = 5_000;
const UPDATE_MS = 1_000;
export const LOCK_NAME = 'store.lock';

export async function withStoreLock<T>(dataDir: string, work: () => Promise<T>): Promise<T> {
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(dataDir, { lockfilePath: join(dataDir, LOCK_NAME), stale: STALE_MS, update: UPDATE_MS, retries: 0, realpath: false });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED')
      throw wrongState('STORE_LOCKED', 'Another CertificateManager is changing the certificate store. Wait for it to finish, then run the command again.');
    throw error;
  }
  try {
    return await work();
  } finally {
    await release().catch(() => undefined);
  }
}
