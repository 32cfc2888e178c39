/**
 * Two writers at once. Real processes for the CLI; in-process for the
 * store's own "lock bypass" defence (commitStore's compare-and-switch).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { join } from 'node:path';
import { mkdir, readdir, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { withStoreLock } from '../../core/store/lock.js';
import { commitStore, readStore, loadPrivateKey } from '../../core/store/store.js';
import { checkGeneration } from '../../core/ops/validate-generation.js';
import { createTrustState, followRotations } from '../../core/trust/index.js';
import { fingerprintSha256 } from '../../core/pki/inspect.js';
import { spkiDer } from '../../core/pki/keys.js';
import { startCli, messageLines } from '../helpers/cli.js';
import { runInProcess, statusJson } from '../cli/in-process.js';
import { tempDir } from '../helpers/temp.js';
import { storeWithCertificate } from '../helpers/fixtures.js';

const pw = 'review password 2026';
let root: string;

beforeAll(async () => {
  root = await tempDir('cm-conc-');
});

async function consistent(dataDir: string): Promise<void> {
  const s = (await readStore(dataDir))!.state;
  expect(s.rotations).toHaveLength(s.current.version - 1);
  const first = s.current.version === 1 ? s.current.certificateDer : s.replaced.find((r) => r.version === 1)!.certificateDer;
  const reached = await followRotations(createTrustState(Buffer.from(first, 'base64')), s.rotations);
  expect(reached.fingerprintSha256).toBe(fingerprintSha256(Buffer.from(s.current.certificateDer, 'base64')));
  await statusJson(dataDir);
}

describe('two certificatemanager processes at once', () => {
  it('two -g on a fresh store: exactly one wins, the other exits 5', async () => {
    const dataDir = join(root, 'g');
    const a = startCli(['-g', pw, '--key-size', '2048'], { dataDir });
    const b = startCli(['-g', pw, '--key-size', '2048'], { dataDir });
    const codes = [(await a.done).code, (await b.done).code].sort();
    expect(codes).toEqual([0, 5]);
    await consistent(dataDir);
  }, 60_000);

  it('two -c at once: one wins and the other exits 5 (or both run one after the other), and the chain stays whole', async () => {
    const dataDir = join(root, 'c');
    await storeWithCertificate(dataDir, pw);
    const a = startCli(['-c', 'renew password A', '--key-size', '2048'], { dataDir });
    const b = startCli(['-c', 'renew password B', '--key-size', '2048'], { dataDir });
    const ra = await a.done;
    const rb = await b.done;
    const codes = [ra.code, rb.code].sort();
    expect([[0, 5], [0, 0]], ra.stderr + rb.stderr).toContainEqual(codes);
    const version = (await readStore(dataDir))!.state.current.version;
    expect(version).toBe(codes[1] === 0 ? 3 : 2);
    await consistent(dataDir);
  }, 60_000);
});

describe("commitStore's own defence against a lock bypass (a stale lock taken over after 5 s)", () => {
  // Two commits based on the same snapshot, the second started 0 to 39 turns of the event loop
  // after the first, so that it meets the first at every step of its commit: claiming the
  // folder, filling it, switching CURRENT. (A review found the store damaged within a few
  // hundred such rounds when one writer's clean-up could empty the other's claim.)
  it('at most one wins, the loser gets one clean line, and the store always reads whole: key, state and all', async () => {
    const dataDir = join(root, 'cas');
    await storeWithCertificate(dataDir, pw);
    const wins: Record<string, number> = {};
    for (let round = 0; round < 120; round++) {
      const base = (await readStore(dataDir))!;
      const key = await loadPrivateKey(base);
      const stamp = (writer: number) => `${2030 + (round % 40) + writer}-01-01T00:00:00.000Z`;
      const next = (writer: number) => checkGeneration({ ...base.state, current: { ...base.state.current, installedAt: stamp(writer) } }, key, new Date());
      const [a, b] = [await next(0), await next(1)];
      const later = async () => {
        for (let tick = 0; tick < round % 40; tick++) await new Promise((resolve) => setImmediate(resolve));
        return commitStore(dataDir, base, b);
      };
      const results = await Promise.allSettled([commitStore(dataDir, base, a), later()]);
      const winners = results.flatMap((r, i) => (r.status === 'fulfilled' ? [stamp(i)] : []));
      expect(winners.length, `round ${round}`).toBeLessThanOrEqual(1);
      for (const r of results)
        if (r.status === 'rejected') expect(r.reason, `round ${round}`).toMatchObject({ kind: 'wrong-state', code: 'STORE_CHANGED' });
      // Whatever happened, the store is the old state or exactly the winner's, and whole.
      const after = (await readStore(dataDir))!;
      expect(after.state.current.installedAt, `round ${round}`).toBe(winners[0] ?? base.state.current.installedAt);
      expect(spkiDer(await loadPrivateKey(after)).equals(spkiDer(key)), `round ${round}`).toBe(true);
      const outcome = winners.length === 0 ? 'none' : winners[0] === stamp(0) ? 'first' : 'second';
      wins[outcome] = (wins[outcome] ?? 0) + 1;
    }
    // Nothing left behind by the losers.
    expect((await readdir(join(dataDir, 'generations'))).filter((name) => !/^gen-\d+$/.test(name))).toEqual([]);
    expect(wins.first ?? 0).toBeGreaterThan(0);
  }, 120_000);
});

describe('a lock that goes away while held', () => {
  it('store.lock removed while -c holds it (an admin clearing a "locked" store, or a takeover): one clean line, no stack trace', async () => {
    // proper-lockfile's default onCompromised throws from a timer: an uncaught exception
    // with a stack trace, in the middle of the operation.
    const dataDir = join(root, 'compromised');
    await storeWithCertificate(dataDir, pw);
    const { child, done } = startCli(['-c', 'renew password C', '--key-size', '4096'], { dataDir });
    const lock = join(dataDir, 'store.lock');
    for (let i = 0; i < 200 && !(await stat(lock).then(() => true, () => false)); i++) await new Promise((r) => setTimeout(r, 25));
    await rm(lock, { recursive: true, force: true });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    const r = await done;
    clearTimeout(timer);
    expect(r.stderr).not.toMatch(/\n\s+at |onCompromised|Node\.js v/);
    if (r.code !== 0) expect(messageLines(r.stderr), r.stderr).toHaveLength(1);
    await statusJson(dataDir);
  }, 60_000);

  it('a lock taken over while this writer stalled stops it at the commit point, and is not released by it', async () => {
    const dataDir = join(root, 'taken-over');
    await storeWithCertificate(dataDir, pw);
    const lock = join(dataDir, 'store.lock');
    let theirs: string | null = null;
    await withStoreLock(dataDir, async (guard) => {
      expect(() => guard()).not.toThrow();
      // Another process found the lock stale and made its own (what proper-lockfile does).
      await rm(lock, { recursive: true, force: true });
      await mkdir(lock);
      theirs = String((await stat(lock, { bigint: true })).ino);
      expect(() => guard()).toThrow(expect.objectContaining({ code: 'STORE_LOCK_LOST' }));
    });
    // Their lock is still there after ours ended.
    expect(String((await stat(lock, { bigint: true })).ino)).toBe(theirs);
  });
});


// What an interrupted commit leaves above CURRENT, and what the next commit does with it. A
// generation folder is claimed with its writer note already in it (store.ts, claimGeneration):
// a kill leaves a temporary, or a folder that names its writer. Only a live writer's folder
// makes the next commit refuse; everything else goes, at once.
describe('what an interrupted commit leaves above CURRENT', () => {
  const generations = (dataDir: string) => join(dataDir, 'generations');
  const note = (pid: number) => JSON.stringify({ pid, hostname: hostname() });
  /** Above Linux's largest possible PID (2^22): no process has it. */
  const DEAD_PID = 2 ** 22 + 1;
  /** A store at generation 1 with a gen-000002 above it whose writer note names `pid`, dated `notedAt` if given. */
  async function storeWithNotedLeftover(name: string, pid: number, notedAt?: Date): Promise<string> {
    const dataDir = join(root, name);
    await storeWithCertificate(dataDir, pw);
    await mkdir(join(generations(dataDir), 'gen-000002'));
    await writeFile(writerNote(dataDir), note(pid));
    if (notedAt) await utimes(writerNote(dataDir), notedAt, notedAt);
    return dataDir;
  }
  const writerNote = (dataDir: string) => join(generations(dataDir), 'gen-000002', '.writer');
  const leftovers: Array<[string, (dataDir: string) => Promise<void>]> = [
    ['a claim cut before its rename, without its note', (d) => mkdir(join(generations(d), `.gen-000002.${DEAD_PID}.0badc0de.tmp`))],
    [
      'a claim cut before its rename, with its note',
      async (d) => {
        await mkdir(join(generations(d), `.gen-000002.${DEAD_PID}.0badc0de.tmp`));
        await writeFile(join(generations(d), `.gen-000002.${DEAD_PID}.0badc0de.tmp`, '.writer'), note(DEAD_PID));
      },
    ],
    // An earlier version claimed the folder first and noted itself in it after: a kill between
    // the two left a folder that names no one, which it refused to touch for a minute.
    ['a folder that names no writer (an earlier version, killed between its mkdir and its note)', (d) => mkdir(join(generations(d), 'gen-000002'))],
    [
      'a folder whose note was cut by the kill',
      async (d) => {
        await mkdir(join(generations(d), 'gen-000002'));
        await writeFile(join(generations(d), 'gen-000002', '.writer'), '{"pid":12');
      },
    ],
  ];
  for (const [name, leave] of leftovers) {
    it(`${name}: removed by the next commit, which goes through at once`, async () => {
      const dataDir = join(root, `left-${leftovers.findIndex(([n]) => n === name)}`);
      await storeWithCertificate(dataDir, pw);
      await leave(dataDir);
      const renewed = await runInProcess(['-c', 'renew password U2', '--key-size', '2048'], { dataDir });
      expect(renewed.code, renewed.stderr).toBe(0);
      const after = (await readStore(dataDir))!;
      expect(after.generation).toBe(2);
      expect(after.state.current.version).toBe(2);
      expect(await readdir(generations(dataDir))).toEqual(['gen-000001', 'gen-000002']);
    });
  }

  it("a live writer's claim that is not renamed yet is left alone; the commit takes the number first", async () => {
    const dataDir = join(root, 'left-live-claim');
    await storeWithCertificate(dataDir, pw);
    // Named and noted by this process, which still runs (the -c below runs in it too).
    const claim = join(generations(dataDir), `.gen-000002.${process.pid}.0badc0de.tmp`);
    await mkdir(claim);
    await writeFile(join(claim, '.writer'), note(process.pid));
    const renewed = await runInProcess(['-c', 'renew password U3', '--key-size', '2048'], { dataDir });
    expect(renewed.code, renewed.stderr).toBe(0);
    expect((await readStore(dataDir))!.generation).toBe(2);
    // Removing it would have cut the note out from under a writer about to rename it.
    expect(await readdir(claim)).toEqual(['.writer']);
  });

  it('a folder whose writer still runs: refused, with nothing changed (a commit past a lock bypass)', async () => {
    // Another process of this host that runs (this test's parent): a writer past a lock bypass.
    const dataDir = await storeWithNotedLeftover('left-live', process.ppid);
    const before = (await readStore(dataDir))!;
    const refused = await runInProcess(['-c', 'renew password U1', '--key-size', '2048'], { dataDir });
    expect(refused.code).toBe(5);
    expect(messageLines(refused.stderr)).toEqual(['certificatemanager: The certificate store is being changed by another program. Run the command again.']);
    expect((await readStore(dataDir))!.generation).toBe(before.generation);
    expect(await readdir(join(generations(dataDir), 'gen-000002'))).toEqual(['.writer']);
  });

  it("a crash's leftover whose writer PID now belongs to another process stops blocking after ten minutes", async () => {
    // Windows reuses PIDs soon: the note of a writer killed mid-commit names a process that
    // runs (this test's parent stands in for it).
    const dataDir = await storeWithNotedLeftover('left-reused-pid', process.ppid, new Date(Date.now() - 9 * 60_000));
    expect((await runInProcess(['-c', 'renew password U5', '--key-size', '2048'], { dataDir })).code).toBe(5);
    const elevenMinutesAgo = new Date(Date.now() - 11 * 60_000);
    await utimes(writerNote(dataDir), elevenMinutesAgo, elevenMinutesAgo);
    const renewed = await runInProcess(['-c', 'renew password U5', '--key-size', '2048'], { dataDir });
    expect(renewed.code, renewed.stderr).toBe(0);
    const after = (await readStore(dataDir))!;
    expect(after.generation).toBe(2);
    await loadPrivateKey(after);
  });

  it("a crash's leftover dated ahead of the clock (set back since) does not block, whoever has its PID", async () => {
    const dataDir = await storeWithNotedLeftover('left-future-note', process.ppid, new Date(Date.now() + 24 * 3600_000));
    const renewed = await runInProcess(['-c', 'renew password U6', '--key-size', '2048'], { dataDir });
    expect(renewed.code, renewed.stderr).toBe(0);
    expect((await readStore(dataDir))!.generation).toBe(2);
  });

  it('a folder this process claimed and gave up (its clean-up failed) does not block its later commits', async () => {
    // The app is one long-lived process: a note naming it is a leftover unless that claim is
    // still being built.
    const dataDir = await storeWithNotedLeftover('left-own', process.pid);
    const renewed = await runInProcess(['-c', 'renew password U4', '--key-size', '2048'], { dataDir });
    expect(renewed.code, renewed.stderr).toBe(0);
    expect((await readStore(dataDir))!.generation).toBe(2);
  });
});
