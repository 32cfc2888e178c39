/**
 * "The process killed in the middle of -c or -r": a real certificatemanager is killed with
 * SIGKILL at many points spread over its run. Afterwards the store holds the old state or the
 * new one, never a mix, and `status` works.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { cli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { backupOf, storeWithCertificate } from '../helpers/fixtures.js';
import { statusJson } from '../cli/in-process.js';

const pw = 'the backup password';
let root: string;

beforeAll(async () => {
  root = await tempDir();
});

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Whether the lock's owner note is whole and names `pid`. */
async function noteNames(lock: string, pid: number | undefined): Promise<boolean> {
  const text = await readFile(`${lock}.owner`, 'utf8').catch(() => '');
  try {
    return (JSON.parse(text) as { pid?: unknown }).pid === pid;
  } catch {
    return false;
  }
}

/**
 * Removes the store lock a killed process left, and its owner note: a note left behind would
 * name a lock that is gone, and the takeover test below would mistake it for a new holder's.
 * What the kill left of the commit itself stays: the next writer must cope with it.
 */
async function removeLeftLock(dataDir: string): Promise<void> {
  await rm(join(dataDir, 'store.lock'), { recursive: true, force: true });
  await rm(join(dataDir, 'store.lock.owner'), { force: true });
}

/** What `status --json` reports (the CLI's main, in this process: only the killed runs need their own). */
async function fingerprint(dataDir: string): Promise<string> {
  return (await statusJson(dataDir)).current.fingerprintSha256;
}

/** Kills `args` after each delay; checks the store after each kill. Returns how many committed. */
async function killAtManyPoints(dataDir: string, args: string[], delaysMs: number[], expectNewDiffers = true): Promise<{ committed: number; interrupted: number }> {
  let committed = 0;
  let interrupted = 0;
  let before = await fingerprint(dataDir);
  for (const delay of delaysMs) {
    const { child, done } = startCli(args, { dataDir });
    const timer = setTimeout(() => child.kill('SIGKILL'), delay);
    const result = await done;
    clearTimeout(timer);
    const after = await fingerprint(dataDir); // status works whatever happened
    if (result.code === 0) {
      committed++;
      if (expectNewDiffers) expect(after).not.toBe(before);
    } else {
      interrupted++;
      // Killed: either it had not committed (old state) or it had (new state); both are whole.
      expect(typeof after).toBe('string');
    }
    // A kill before the owner note is written leaves a lock that goes stale only after 5 s; skip that wait.
    await removeLeftLock(dataDir);
    before = after;
  }
  return { committed, interrupted };
}

async function timeOf(args: string[], dataDir: string): Promise<number> {
  const start = performance.now();
  const r = await cli(args, { dataDir });
  expect(r.code, r.stderr).toBe(0);
  return performance.now() - start;
}

describe('a crash at any moment leaves the old state or the new one', () => {
  it('-c killed at many points', async () => {
    const store = join(root, 'renew');
    await storeWithCertificate(store, pw);
    const full = await timeOf(['-c', 'renewed password 1', '--key-size', '2048'], store);
    const delays = Array.from({ length: 14 }, (_, i) => Math.round(30 + (i / 13) * full * 1.1));
    const { interrupted } = await killAtManyPoints(store, ['-c', 'renewed password 2', '--key-size', '2048'], delays);
    expect(interrupted).toBeGreaterThan(0);
    // Every state the store went through is a whole one: a final renew still works.
    expect((await cli(['-c', 'renewed password 3', '--key-size', '2048'], { dataDir: store })).code).toBe(0);
  }, 180_000);

  it('-r killed at many points, alternating between two certificates', async () => {
    const a = join(root, 'a');
    const b = join(root, 'b');
    await storeWithCertificate(a, pw);
    await storeWithCertificate(b, pw);
    const backupB = join(root, 'b.zip');
    await backupOf(b, pw, backupB);
    const fpA = await fingerprint(a);
    const fpB = await fingerprint(b);
    const full = await timeOf(['verify-backup', pw, backupB], a);
    const delays = Array.from({ length: 14 }, (_, i) => Math.round(30 + (i / 13) * full * 1.6));
    for (const delay of delays) {
      const { child, done } = startCli(['-r', pw, backupB], { dataDir: a });
      const timer = setTimeout(() => child.kill('SIGKILL'), delay);
      const result = await done;
      clearTimeout(timer);
      const now = await fingerprint(a);
      expect([fpA, fpB]).toContain(now);
      if (result.code === 0) expect(now).toBe(fpB);
      await removeLeftLock(a);
      if (now === fpB) break; // committed: the rest would be a same-certificate restore
    }
    // The lock of a killed process is taken over at once: its owner note names a PID that is
    // gone. Kill a -r while it holds the lock and has written that note; the lock is held only
    // around the commit, so a kill may land just after the release: try again until one leaves
    // its lock behind. The very next -r must then succeed, with no wait.
    const lock = join(a, 'store.lock');
    let leftItsLock = false;
    for (let attempt = 0; attempt < 8 && !leftItsLock; attempt++) {
      const { child, done } = startCli(['-r', pw, backupB], { dataDir: a });
      let exited = false;
      void done.then(() => (exited = true));
      // The note is whole and names this -r (a kill while it is being written leaves a note
      // that names no one, and that lock is taken over only once it is stale).
      while (!exited && !(await noteNames(lock, child.pid))) await pause(2);
      child.kill('SIGKILL');
      await done;
      leftItsLock = await noteNames(lock, child.pid);
      if (!leftItsLock) await removeLeftLock(a);
    }
    expect(leftItsLock, 'no -r was killed while holding the lock in 8 tries').toBe(true);
    const final = await cli(['-r', pw, backupB], { dataDir: a });
    expect(final.code, final.stderr).toBe(0);
    expect(await fingerprint(a)).toBe(fpB);
  }, 180_000);
});
