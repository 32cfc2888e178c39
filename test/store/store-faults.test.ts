/**
 * The store under faults that are not crashes: a folder flush that fails after the commit
 * point, a CURRENT pointer deleted by hand, a store key that no longer reads, and a --data-dir
 * that names somebody else's folder. Real files in temp folders; the only fakes are the file
 * system's answer to "open this folder for fsync" in the first test, another writer acting while
 * a folder is listed or right after a folder is renamed, and a removal that a scanner blocks.
 */
import { describe, expect, it, vi, beforeAll } from 'vitest';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { backupCertificate, generateCertificate, getStatus, renewCertificate, restoreCertificate } from '../../core/ops/index.js';
import { commitStore, loadPrivateKey, readStore } from '../../core/store/store.js';
import { checkGeneration } from '../../core/ops/validate-generation.js';
import { tempDir } from '../helpers/temp.js';
import { fixtureContext as ctx } from '../helpers/fixtures.js';

/** Folders whose fsync fails with EIO, and files whose creation fails with ENOSPC (set per test). */
const failingFolderSync = new Set<string>();
const failingCreate = { suffix: null as string | null };
vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const open = (async (path: Parameters<typeof real.open>[0], flags?: Parameters<typeof real.open>[1], mode?: Parameters<typeof real.open>[2]) => {
    if (flags === 'r' && failingFolderSync.has(String(path))) throw Object.assign(new Error(`EIO: i/o error, open '${String(path)}'`), { code: 'EIO' });
    if (flags === 'wx' && failingCreate.suffix && String(path).endsWith(failingCreate.suffix))
      throw Object.assign(new Error(`ENOSPC: no space left on device, open '${String(path)}'`), { code: 'ENOSPC' });
    return real.open(path, flags, mode);
  }) as typeof real.open;
  // Runs once, at the next listing of a generations folder: another writer acting at that moment.
  const readdir = (async (path: Parameters<typeof real.readdir>[0], options?: Parameters<typeof real.readdir>[1]) => {
    const hook = onListGenerations.run;
    if (hook && String(path).endsWith('generations')) {
      onListGenerations.run = null;
      hook();
    }
    return real.readdir(path, options as never);
  }) as typeof real.readdir;
  // Runs once, right after the next rename onto a generation folder: another writer acting then.
  const rename = (async (from: Parameters<typeof real.rename>[0], to: Parameters<typeof real.rename>[1]) => {
    await real.rename(from, to);
    const hook = onGenerationRenamed.run;
    if (hook && /gen-\d+$/.test(String(to))) {
      onGenerationRenamed.run = null;
      hook(String(to));
    }
  }) as typeof real.rename;
  // Removals of these paths fail as a virus scanner holding a file makes them fail on Windows.
  const rm = (async (path: Parameters<typeof real.rm>[0], options?: Parameters<typeof real.rm>[1]) => {
    if (failingRemove.has(String(path))) throw Object.assign(new Error(`EBUSY: resource busy or locked, rm '${String(path)}'`), { code: 'EBUSY' });
    return real.rm(path, options);
  }) as typeof real.rm;
  const replaced = { open, readdir, rename, rm };
  return { ...real, ...replaced, default: { ...real, ...replaced } };
});
const onListGenerations = { run: null as null | (() => void) };
const onGenerationRenamed = { run: null as null | ((folder: string) => void) };
const failingRemove = new Set<string>();

const pw = 'store faults password';
let root: string;
beforeAll(async () => {
  root = await tempDir('cm-faults-');
});

async function newStore(name: string): Promise<string> {
  const dataDir = join(root, name);
  await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
  return dataDir;
}

describe('the store under faults', () => {
  it('a folder flush that fails after CURRENT was switched keeps the new generation that CURRENT names', async () => {
    const dataDir = await newStore('flush');
    failingFolderSync.add(dataDir);
    try {
      await renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 });
    } finally {
      failingFolderSync.clear();
    }
    const status = await getStatus(dataDir);
    expect(status.current?.version).toBe(2);
    expect((await readFile(join(dataDir, 'CURRENT'), 'utf8')).trim()).toBe('gen-000002');
    expect(await readdir(join(dataDir, 'generations'))).toEqual(expect.arrayContaining(['gen-000001', 'gen-000002']));
  });

  it('a renewal whose commit fails (disk full) leaves no backup of the key it never installed', async () => {
    const dataDir = await newStore('full');
    const backupsBefore = await readdir(join(dataDir, 'backups'));
    failingCreate.suffix = 'key.pem';
    try {
      await expect(renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 })).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      failingCreate.suffix = null;
    }
    expect(await readdir(join(dataDir, 'backups'))).toEqual(backupsBefore);
    expect((await getStatus(dataDir)).current?.version).toBe(1);
  });

  it('without CURRENT, the store is damaged, not empty: -g refuses and changes nothing; -r repairs it', async () => {
    const dataDir = await newStore('pointer-lost');
    const renewed = await renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 });
    const key = await readFile(join(dataDir, 'generations', 'gen-000002', 'key.pem'));
    await rm(join(dataDir, 'CURRENT'));
    await expect(getStatus(dataDir)).rejects.toMatchObject({ kind: 'internal', code: 'STORE_DAMAGED', message: expect.stringContaining('-r') });
    await expect(generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 })).rejects.toMatchObject({ code: 'STORE_DAMAGED' });
    expect((await readdir(join(dataDir, 'generations'))).sort()).toEqual(['gen-000001', 'gen-000002']);
    expect(await readFile(join(dataDir, 'generations', 'gen-000002', 'key.pem'))).toEqual(key);
    // The repair step it names: restore the newest backup.
    await restoreCertificate(ctx(dataDir), { path: renewed.backupPath, password: `${pw} 2`, exportable: true });
    expect((await getStatus(dataDir)).current?.version).toBe(2);
  });

  it('a store key that no longer reads can be replaced by a restore; renew says to restore', async () => {
    const dataDir = await newStore('bad-key');
    const zip = join(root, 'bad-key.zip');
    await backupCertificate(ctx(dataDir), { password: pw, outPath: zip });
    const keyFile = join(dataDir, 'generations', 'gen-000001', 'key.pem');
    await writeFile(keyFile, (await readFile(keyFile, 'utf8')).slice(0, 200));
    await expect(renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 })).rejects.toMatchObject({ code: 'STORE_DAMAGED', message: expect.stringContaining('-r') });
    const restored = await restoreCertificate(ctx(dataDir), { path: zip, password: pw, exportable: true });
    expect(restored.hasCertificate).toBe(true);
    // The damaged generation is kept, untouched, beside the new one...
    expect((await readFile(keyFile, 'utf8')).length).toBe(200);
    // ...until a renewal replaces its certificate: then its key, like every replaced key, goes.
    await renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 });
    await expect(readFile(keyFile)).rejects.toMatchObject({ code: 'ENOENT' });
    expect(await readFile(join(dataDir, 'generations', 'gen-000001', 'state.json'), 'utf8')).toContain('certificateDer');
  });

  it('a --data-dir that names a folder with other files is refused, and its permissions are left alone', async () => {
    const elsewhere = join(root, 'ProgramData');
    await mkdir(join(elsewhere, 'SomeVendor'), { recursive: true, mode: 0o755 });
    await writeFile(join(elsewhere, 'notes.txt'), 'not ours');
    const before = (await stat(elsewhere)).mode;
    await expect(generateCertificate(ctx(elsewhere), { password: pw, keySize: 2048 })).rejects.toMatchObject({ kind: 'usage', code: 'DATA_DIR_NOT_OURS' });
    expect((await stat(elsewhere)).mode).toBe(before);
    expect((await readdir(elsewhere)).sort()).toEqual(['SomeVendor', 'notes.txt']);
    // An empty folder, or one of ours, is fine.
    const empty = join(root, 'empty');
    await mkdir(empty);
    await generateCertificate(ctx(empty), { password: pw, keySize: 2048 });
    await renewCertificate(ctx(empty), { password: `${pw} 2`, keySize: 2048 });
  });

  it('a writer whose lock was taken over fails, and leaves the other writer\'s commit of the same generation alone', async () => {
    const dataDir = await newStore('taken-over');
    const base = (await readStore(dataDir))!;
    const pem = await readFile(join(dataDir, 'generations', 'gen-000001', 'key.pem'), 'utf8');
    const folder = join(dataDir, 'generations', 'gen-000002');
    // What another process does after finding our lock stale: our half-written generation goes
    // (abandoned, to it), its own gen-000002 is written and switched in. Then our guard fires.
    const takeOver = () => {
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(folder);
      writeFileSync(join(folder, 'key.pem'), pem);
      writeFileSync(join(folder, 'state.json'), JSON.stringify({ ...base.state, current: { ...base.state.current, installedAt: '2031-01-01T00:00:00.000Z' } }));
      writeFileSync(join(dataDir, 'CURRENT'), 'gen-000002\n');
      throw Object.assign(new Error('lock lost'), { code: 'STORE_LOCK_LOST' });
    };
    const checked = await checkGeneration(base.state, await loadPrivateKey(base), new Date());
    await expect(commitStore(dataDir, base, checked, takeOver)).rejects.toMatchObject({ code: 'STORE_LOCK_LOST' });
    // The other writer's commit stands: CURRENT names it and its folder is still there.
    expect((await readStore(dataDir))!.state.current.installedAt).toBe('2031-01-01T00:00:00.000Z');
  });

  it("a writer past a lock bypass never removes the generation another writer has just made current", async () => {
    const dataDir = await newStore('bypass-after-commit');
    const base = (await readStore(dataDir))!;
    const pem = await readFile(join(dataDir, 'generations', 'gen-000001', 'key.pem'), 'utf8');
    const theirs = { ...base.state, current: { ...base.state.current, installedAt: '2031-01-01T00:00:00.000Z' } };
    // Ours read CURRENT (gen-000001) and then, as it lists the generations to clear leftovers,
    // the other writer's commit of gen-000002 completes: CURRENT names it, and its note is gone.
    onListGenerations.run = () => {
      const folder = join(dataDir, 'generations', 'gen-000002');
      mkdirSync(folder);
      writeFileSync(join(folder, 'key.pem'), pem);
      writeFileSync(join(folder, 'state.json'), JSON.stringify(theirs));
      writeFileSync(join(dataDir, 'CURRENT'), 'gen-000002\n');
    };
    const checked = await checkGeneration(base.state, await loadPrivateKey(base), new Date());
    await expect(commitStore(dataDir, base, checked)).rejects.toMatchObject({ code: 'STORE_CHANGED' });
    expect(onListGenerations.run).toBeNull();
    // Their commit stands, whole.
    const after = (await readStore(dataDir))!;
    expect(after.generation).toBe(2);
    expect(after.state.current.installedAt).toBe('2031-01-01T00:00:00.000Z');
    await loadPrivateKey(after);
  });

  it('a claim whose folder another writer replaced right after the rename is given up, and their folder stays', async () => {
    const dataDir = await newStore('replaced-after-rename');
    const base = (await readStore(dataDir))!;
    // Past a lock bypass, between our rename and our reading the note back: the other writer
    // (alive: this test's parent process) put its own gen-000002 in place of ours.
    onGenerationRenamed.run = (folder) => {
      rmSync(folder, { recursive: true, force: true });
      mkdirSync(folder);
      writeFileSync(join(folder, '.writer'), JSON.stringify({ pid: process.ppid, hostname: hostname(), claim: 'theirs' }));
      writeFileSync(join(folder, 'theirs.txt'), 'being built');
    };
    const checked = await checkGeneration(base.state, await loadPrivateKey(base), new Date());
    await expect(commitStore(dataDir, base, checked)).rejects.toMatchObject({ code: 'STORE_CHANGED' });
    expect(onGenerationRenamed.run).toBeNull();
    // Nothing of ours went into their folder, and it is still there; CURRENT did not move.
    expect((await readdir(join(dataDir, 'generations', 'gen-000002'))).sort()).toEqual(['.writer', 'theirs.txt']);
    expect((await readStore(dataDir))!.generation).toBe(1);
  });

  it('a commit that fails and cannot remove its folder reports why it failed, and the next commit goes through', async () => {
    const dataDir = await newStore('clean-up-blocked');
    const folder = join(dataDir, 'generations', 'gen-000002');
    failingCreate.suffix = 'key.pem';
    failingRemove.add(folder);
    try {
      // The disk is full; a scanner then holds the half-made folder, so the clean-up fails too.
      await expect(renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 })).rejects.toMatchObject({ code: 'ENOSPC' });
    } finally {
      failingCreate.suffix = null;
      failingRemove.clear();
    }
    expect(await stat(folder).then(() => true, () => false)).toBe(true);
    expect((await getStatus(dataDir)).current?.version).toBe(1);
    // The leftover names this process, whose claim is over: it does not block this process.
    await renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 });
    expect((await getStatus(dataDir)).current?.version).toBe(2);
  });
});
