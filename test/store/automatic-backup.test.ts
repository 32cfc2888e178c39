/**
 * Issue 10, finding 13: a kill right after -c wrote its automatic backup (before the commit)
 * must not leave a "renewed" .zip of a key that was never installed. The backup is written
 * under an "uncommitted" name and takes its real name only after the commit; the next change
 * removes (never installed) or names (installed, killed after the commit) what a kill left.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCertificate, getStatus, renewCertificate } from '../../core/ops/index.js';
import { buildBackup, writeAutomaticBackup } from '../../core/ops/backup-of-store.js';
import { readStore, storePaths } from '../../core/store/store.js';
import { loadPrivateKey } from '../../core/store/store.js';
import { tempDir } from '../helpers/temp.js';
import { fixtureContext as ctx } from '../helpers/fixtures.js';

const pw = 'automatic backup password';
let root: string;
beforeAll(async () => {
  root = await tempDir('cm-auto-');
});

const zips = async (dataDir: string) => (await readdir(storePaths(dataDir).backups)).filter((n) => n.endsWith('.zip')).sort();

describe('13: the automatic backup of -c and a kill around the commit', () => {
  it('before the commit the backup is not a .zip an admin could take; the next -c removes it', async () => {
    const dataDir = join(root, 'killed-before');
    await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    const before = await zips(dataDir);
    // What -c does up to the moment of the kill: the new key's backup is on disk, nothing committed.
    const base = (await readStore(dataDir))!;
    const { zip, fingerprintSha256 } = await buildBackup({ privateKey: await loadPrivateKey(base), state: { ...base.state, current: { ...base.state.current } } }, pw, { iterations: 1000, now: new Date() });
    const pending = await writeAutomaticBackup(dataDir, zip, `f${fingerprintSha256.slice(1)}`, new Date('2030-01-01T00:00:00Z'), 'renewed');
    expect(pending.endsWith('.zip')).toBe(false);
    expect(pending).toMatch(/-renewed-.*\.zip\.uncommitted$/);
    expect(await zips(dataDir)).toEqual(before);
    const renewed = await renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 });
    const names = await readdir(storePaths(dataDir).backups);
    expect(names.filter((n) => n.endsWith('.uncommitted'))).toEqual([]);
    expect(names).toContain(renewed.backupPath.split('/').at(-1));
    expect(renewed.backupPath.endsWith('.zip')).toBe(true);
  });

  it('killed after the commit: the next change gives the installed key\'s backup its real name', async () => {
    const dataDir = join(root, 'killed-after');
    await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    const status = await getStatus(dataDir);
    const base = (await readStore(dataDir))!;
    const { zip } = await buildBackup({ privateKey: await loadPrivateKey(base), state: base.state }, pw, { iterations: 1000, now: new Date() });
    const pending = await writeAutomaticBackup(dataDir, zip, status.current!.fingerprintSha256, new Date('2030-01-01T00:00:00Z'), 'renewed');
    await renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 });
    expect(await zips(dataDir)).toContain(pending.split('/').at(-1)!.replace(/\.uncommitted$/, ''));
  });
});
