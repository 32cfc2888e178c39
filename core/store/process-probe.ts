/**
 * Who this process is, and whether another process on this host is alive.
 *
 * Kept apart from owned-lock.ts on purpose: store.ts needs the probe for every commit, and
 * `status` loads store.ts; importing it from owned-lock.ts would load proper-lockfile (and
 * graceful-fs, retry, signal-exit) into commands that never take a lock
 * (test/cli/startup.test.ts checks that they do not).
 */
import { hostname } from 'node:os';

export interface LockOwnerProbe {
  pid: number;
  hostname: string;
  /** Whether a process with this PID exists on this host. */
  isAlive(pid: number): boolean;
}

/** process.kill(pid, 0) sends nothing: ESRCH means no such process; EPERM means one we may not signal. */
const processIsAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/** This process, as a lock owner (owned-lock.ts) and as the writer of a generation being built (store.ts). */
export const thisProcess: LockOwnerProbe = { pid: process.pid, hostname: hostname(), isAlive: processIsAlive };
