/**
 * core/backup/zip.ts against readers it did not write: Info-ZIP's unzip (what admins use on
 * Linux; CI installs it) and the unzipper package (what read backups until now), plus hostile
 * entries built with the tests' own naive writer (helpers/raw-zip.ts).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import unzipper from 'unzipper';
import { readZipDirectory, readZipEntry, writeZip } from '../../core/backup/zip.js';
import { CertManagerError } from '../../core/errors.js';
import { rawZip } from '../helpers/raw-zip.js';
import { tempDir } from '../helpers/temp.js';

const readAll = (zip: Buffer) => readZipDirectory(zip, 64).map((e) => [e.name, readZipEntry(zip, e, 1 << 20)] as const);

/** Names as backups have them: printable ASCII without path separators, unique. */
const entryName = fc.stringMatching(/^[A-Za-z0-9._-]{1,24}$/);
const entryData = fc.oneof(
  fc.uint8Array({ maxLength: 4096 }).map((a) => Buffer.from(a)), // random: stored
  fc.string({ maxLength: 4096 }).map((s) => Buffer.from(s.repeat(3))), // repetitive: deflated
);
const entries = fc.uniqueArray(fc.record({ name: entryName, data: entryData }), { minLength: 1, maxLength: 8, selector: (e) => e.name.toLowerCase() });

describe('writeZip', () => {
  it('writes zips that unzipper and this reader read back byte for byte (property)', async () => {
    await fc.assert(
      fc.asyncProperty(entries, async (list) => {
        const zip = writeZip(list, new Date(2026, 11, 4, 10, 30, 42));
        const theirs = await unzipper.Open.buffer(zip);
        expect(theirs.files.map((f) => f.path)).toEqual(list.map((e) => e.name));
        for (const [i, f] of theirs.files.entries()) expect(await f.buffer()).toEqual(list[i]!.data);
        expect(readAll(zip)).toEqual(list.map((e) => [e.name, e.data]));
      }),
      { numRuns: 60 },
    );
  });

  it('passes Info-ZIP unzip -t, with the local date and a 0600 mode for every file', async () => {
    const dir = await tempDir('cm-zip-');
    const path = join(dir, 'b.zip');
    const date = new Date(2026, 11, 4, 10, 30, 42);
    writeFileSync(path, writeZip([{ name: 'manifest.json', data: Buffer.from('{"a":1}\n'.repeat(50)) }, { name: 'certificate.p12', data: Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919) & 0xff)) }], date));
    expect(execFileSync('unzip', ['-tq', path], { encoding: 'utf8' })).toMatch(/No errors detected/);
    const listing = execFileSync('zipinfo', ['-l', path], { encoding: 'utf8' });
    expect(listing).toMatch(/-rw-------.* def[NX] .*26-Dec-04 10:30 manifest\.json/);
    expect(listing).toMatch(/-rw-------.* (stor|def[NX]) .*26-Dec-04 10:30 certificate\.p12/);
    expect(execFileSync('unzip', ['-p', path, 'manifest.json'], { encoding: 'utf8' })).toBe('{"a":1}\n'.repeat(50));
  });

  it('stores what deflate would not shrink and deflates the rest', () => {
    const random = randomBytes(2000); // what an encrypted PKCS#12 looks like to deflate
    const zip = writeZip([{ name: 'r', data: random }, { name: 't', data: Buffer.alloc(2000, 'a') }], new Date());
    const [r, t] = readZipDirectory(zip, 2);
    expect([r!.method, r!.compressedSize]).toEqual([0, 2000]);
    expect(t!.method).toBe(8);
    expect(t!.compressedSize).toBeLessThan(100);
  });

  it('refuses names a backup never has', () => {
    for (const name of ['', 'a b', 'é.json', 'x\n']) expect(() => writeZip([{ name, data: Buffer.alloc(1) }], new Date())).toThrow(/printable ASCII/);
  });
});

describe('readZipEntry refuses, in one line, entries whose data lies', () => {
  const refused = (zip: Buffer, limit = 1 << 20) => {
    try {
      for (const e of readZipDirectory(zip, 64)) readZipEntry(zip, e, limit);
    } catch (e) {
      expect(e).toBeInstanceOf(CertManagerError);
      expect((e as CertManagerError).message).not.toContain('\n');
      return (e as CertManagerError).code;
    }
    return 'accepted';
  };

  it('a changed byte in a stored entry fails its CRC-32', () => {
    const zip = writeZip([{ name: 'p', data: Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 131) & 0xff)) }], new Date());
    zip[30 + 1 + 100]! ^= 0x01; // inside p's data (header 30 bytes, name 1 byte)
    expect(refused(zip)).toBe('BACKUP_DAMAGED');
  });

  it('a changed byte in a deflated entry fails to inflate or fails its CRC-32', () => {
    const zip = writeZip([{ name: 'm', data: Buffer.from('{"manifest": true}\n'.repeat(40)) }], new Date());
    for (let at = 31; at < 31 + readZipDirectory(zip, 1)[0]!.compressedSize; at += 3) {
      const copy = Buffer.from(zip);
      copy[at]! ^= 0x10;
      expect(refused(copy), `byte ${at}`).toBe('BACKUP_DAMAGED');
    }
  });

  it('a declared size smaller than the data inflates to is refused, and past the limit it is a zip bomb', () => {
    const data = Buffer.alloc(10_000, 'x');
    expect(refused(rawZip([{ name: 'a', data, deflate: true, declaredSize: 100 }]))).toBe('BACKUP_DAMAGED');
    expect(refused(rawZip([{ name: 'a', data, deflate: true, declaredSize: 100 }]), 1000)).toBe('BACKUP_ZIP_BOMB');
    expect(refused(rawZip([{ name: 'a', data, deflate: false, declaredSize: 100 }]), 1000)).toBe('BACKUP_ZIP_BOMB');
  });

  it('an entry whose data runs into the directory is refused before it is read', () => {
    const zip = writeZip([{ name: 'a', data: Buffer.alloc(300, 7) }, { name: 'b', data: Buffer.alloc(10, 1) }], new Date());
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(zip.readUInt32LE(central + 20) + 400, central + 20); // a's compressed size
    expect(refused(zip)).toBe('BACKUP_DAMAGED');
  });

  it('sanity: the same zips unchanged are read', () => {
    const zip = writeZip([{ name: 'a', data: Buffer.alloc(300, 7) }], new Date());
    expect(refused(zip)).toBe('accepted');
  });
});
