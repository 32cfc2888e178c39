/**
 * Locks whose owner is gone are taken over at once (core/store/owned-lock.ts), with the PID
 * check injected: real lock folders in a temp dir, only "is this PID alive" is the test's.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { lockOwned, type LockOwnerProbe } from '../../core/store/owned-lock.js';
import { tempDir } from '../helpers/temp.js';

const probe = (pid: number, alive: (pid: number) => boolean, host = 'host-a'): LockOwnerProbe => ({ pid, hostname: host, isAlive: alive });
const options = (dir: string) => ({ lockfilePath: join(dir, 'x.lock'), realpath: false, stale: 60_000, update: 10_000, retries: 0 });

describe('lockOwned', () => {
  it("takes over at once a lock whose owner's PID is gone", async () => {
    const dir = await tempDir();
    await lockOwned(join(dir, 'x'), options(dir), probe(1001, () => true)); // never released: a crash
    const release = await lockOwned(join(dir, 'x'), options(dir), probe(1002, (pid) => pid !== 1001));
    // Now held by 1002, which is alive: nobody takes it away.
    await expect(lockOwned(join(dir, 'x'), options(dir), probe(1003, () => true))).rejects.toMatchObject({ code: 'ELOCKED' });
    await release();
    await (await lockOwned(join(dir, 'x'), options(dir), probe(1003, () => true)))();
  });

  it('leaves the lock alone while its owner runs, when it was taken on another host, or when nobody noted an owner', async () => {
    const dir = await tempDir();
    await lockOwned(join(dir, 'x'), options(dir), probe(1001, () => true));
    await expect(lockOwned(join(dir, 'x'), options(dir), probe(1002, () => true))).rejects.toMatchObject({ code: 'ELOCKED' });
    await expect(lockOwned(join(dir, 'x'), options(dir), probe(1002, () => false, 'host-b'))).rejects.toMatchObject({ code: 'ELOCKED' });
    // A lock folder without a note (made by an older version, or a crash before the note).
    const bare = await tempDir();
    await mkdir(join(bare, 'x.lock'));
    await expect(lockOwned(join(bare, 'x'), options(bare), probe(1002, () => false))).rejects.toMatchObject({ code: 'ELOCKED' });
  });
});
