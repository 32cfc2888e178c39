/**
 * Backups admins already have keep restoring. fixtures/backup-0.1.0-archiver.zip is a real
 * backup written by `certificatemanager -b` at e68a626 (0.1.0), when backups were zipped by the
 * archiver package: deflated entries with data descriptors after their data ("extended local
 * header"), sizes zero in the local headers. Its key is a throwaway made for this fixture.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { copyFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readZipDirectory } from '../../core/backup/zip.js';
import { restoreCertificate, verifyBackup } from '../../core/ops/index.js';
import { readStore } from '../../core/store/store.js';
import { tempDir } from '../helpers/temp.js';

const FIXTURE = fileURLToPath(new URL('./fixtures/backup-0.1.0-archiver.zip', import.meta.url));
const PASSWORD = 'fixture password: backup made by archiver';
const FINGERPRINT = '5d0fe712b54568a0e32bfe15f6a06bdce10a01f9882f1bc9434c6f85eb46ea52';
/** The fixture's certificate was made on 2026-12-04 for three years; check it as of a day inside them. */
const now = () => new Date('2027-06-01T00:00:00Z');
const NAMES = ['manifest.json', 'certificate.p12', 'certificate.cer', 'history.json'];

describe('a backup written by 0.1.0 (archiver)', () => {
  it('is the kind of zip it claims to be (data descriptors: bit 3 set, deflated)', () => {
    const entries = readZipDirectory(readFileSync(FIXTURE), 16);
    expect(entries.map((e) => e.name).sort()).toEqual(['certificate.cer', 'certificate.p12', 'history.json', 'manifest.json']);
    for (const e of entries) expect([e.flags & 0x08, e.method]).toEqual([0x08, 8]);
  });

  it('verifies with its password and restores the same certificate', async () => {
    const root = await tempDir('cm-earlier-');
    const path = join(root, 'old.zip');
    await copyFile(FIXTURE, path);
    const context = { dataDir: join(root, 'store'), now };
    const inspection = await verifyBackup(context, { path, password: PASSWORD });
    expect(inspection.certificate.fingerprintSha256).toBe(FINGERPRINT);
    const status = await restoreCertificate(context, { path, password: PASSWORD, exportable: true });
    expect(status.current?.fingerprintSha256).toBe(FINGERPRINT);
  });

  it('is refused with another password, and changes nothing', async () => {
    const root = await tempDir('cm-earlier-');
    const context = { dataDir: join(root, 'store'), now };
    await expect(verifyBackup(context, { path: FIXTURE, password: 'not the password' })).rejects.toMatchObject({ kind: 'wrong-password' });
    await expect(restoreCertificate(context, { path: FIXTURE, password: 'not the password', exportable: true })).rejects.toMatchObject({ kind: 'wrong-password' });
    expect(await readStore(context.dataDir)).toBeNull();
  });
});

describe('a backup an admin unpacked and zipped again with another tool', () => {
  // Info-ZIP's zip (CI installs it): to a file it adds extra fields (times, owner); to a pipe it
  // also writes data descriptors with the uncompressed size kept in the local header.
  it.each([
    ['zip to a file', (dir: string) => execFileSync('zip', ['-q', join(dir, 'again.zip'), ...NAMES], { cwd: join(dir, 'x') })],
    ['zip to a pipe', (dir: string) => execFileSync('sh', ['-c', `zip -q -fd - ${NAMES.join(' ')} > ../again.zip`], { cwd: join(dir, 'x') })],
  ])('still verifies and restores: %s', async (_, rezip) => {
    const root = await tempDir('cm-rezip-');
    execFileSync('unzip', ['-q', FIXTURE, '-d', join(root, 'x')]);
    rezip(root);
    const path = join(root, 'again.zip');
    const context = { dataDir: join(root, 'store'), now };
    expect((await verifyBackup(context, { path, password: PASSWORD })).certificate.fingerprintSha256).toBe(FINGERPRINT);
    expect((await restoreCertificate(context, { path, password: PASSWORD, exportable: true })).current?.fingerprintSha256).toBe(FINGERPRINT);
  });
});
