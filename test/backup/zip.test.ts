/**
 * core/backup/zip.ts against readers it did not write: Info-ZIP's unzip (what admins use on
 * Linux; CI installs it) and the unzipper package (what read backups until now), plus hostile
 * entries built with the tests' own naive writer (helpers/raw-zip.ts).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { execFileSync } from 'node:child_process';
import { crc32 } from 'node:zlib';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import unzipper from 'unzipper';
import { readZipDirectory, readZipEntry, writeZip } from '../../core/backup/zip.js';
import { CertManagerError } from '../../core/errors.js';
import { rawZip } from '../helpers/raw-zip.js';
import { tempDir } from '../helpers/temp.js';

const readAll = (zip: Buffer) => readZipDirectory(zip, 64).map((e) => [e.name, readZipEntry(zip, e, 1 << 20)] as const);

/** 'accepted' when every entry reads; else the code of the one-line CertManagerError that refused it. */
function outcome(zip: Buffer, limit = 1 << 20): string {
  try {
    for (const e of readZipDirectory(zip, 64)) readZipEntry(zip, e, limit);
  } catch (e) {
    expect(e).toBeInstanceOf(CertManagerError);
    expect((e as CertManagerError).message).not.toContain('\n');
    return (e as CertManagerError).code;
  }
  return 'accepted';
}

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

  it('dates entries within what a zip can say (1980 to 2107), and refuses an invalid date', () => {
    const dateOf = (d: Date) => {
      const zip = writeZip([{ name: 'a', data: Buffer.from('a') }], d);
      return [zip.readUInt16LE(12), zip.readUInt16LE(10)]; // the local header's date and time
    };
    expect(dateOf(new Date(1975, 5, 1))).toEqual(dateOf(new Date(1980, 0, 1, 0, 0, 0)));
    expect(dateOf(new Date(2200, 2, 4))).toEqual(dateOf(new Date(2107, 11, 31, 23, 59, 58)));
    expect(dateOf(new Date(1980, 0, 1, 0, 0, 0))).toEqual([(0 << 9) | (1 << 5) | 1, 0]);
    expect(() => writeZip([{ name: 'a', data: Buffer.from('a') }], new Date(Number.NaN))).toThrow(/not a valid date/);
  });

  it('refuses names a backup never has', () => {
    for (const name of ['', 'a b', 'é.json', 'x\n']) expect(() => writeZip([{ name, data: Buffer.alloc(1) }], new Date())).toThrow(/printable ASCII/);
  });
});

describe('readZipEntry refuses, in one line, entries whose data lies', () => {
  it('a changed byte in a stored entry fails its CRC-32', () => {
    const zip = writeZip([{ name: 'p', data: Buffer.from(Array.from({ length: 500 }, (_, i) => (i * 131) & 0xff)) }], new Date());
    zip[30 + 1 + 100]! ^= 0x01; // inside p's data (header 30 bytes, name 1 byte)
    expect(outcome(zip)).toBe('BACKUP_DAMAGED');
  });

  it('a changed byte in a deflated entry fails to inflate or fails its CRC-32', () => {
    const zip = writeZip([{ name: 'm', data: Buffer.from('{"manifest": true}\n'.repeat(40)) }], new Date());
    for (let at = 31; at < 31 + readZipDirectory(zip, 1)[0]!.compressedSize; at += 3) {
      const copy = Buffer.from(zip);
      copy[at]! ^= 0x10;
      expect(outcome(copy), `byte ${at}`).toBe('BACKUP_DAMAGED');
    }
  });

  it('a declared size smaller than the data inflates to is refused, and past the limit it is a zip bomb', () => {
    const data = Buffer.alloc(10_000, 'x');
    expect(outcome(rawZip([{ name: 'a', data, deflate: true, declaredSize: 100 }]))).toBe('BACKUP_DAMAGED');
    expect(outcome(rawZip([{ name: 'a', data, deflate: true, declaredSize: 100 }]), 1000)).toBe('BACKUP_ZIP_BOMB');
    expect(outcome(rawZip([{ name: 'a', data, deflate: false, declaredSize: 100 }]), 1000)).toBe('BACKUP_ZIP_BOMB');
  });

  it('an entry whose data runs into the directory is refused before it is read', () => {
    const zip = writeZip([{ name: 'a', data: Buffer.alloc(300, 7) }, { name: 'b', data: Buffer.alloc(10, 1) }], new Date());
    const central = zip.indexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]));
    zip.writeUInt32LE(zip.readUInt32LE(central + 20) + 400, central + 20); // a's compressed size
    expect(outcome(zip)).toBe('BACKUP_DAMAGED');
  });

  it('sanity: the same zips unchanged are read', () => {
    expect(outcome(rawZip([{ name: 'a', data: Buffer.alloc(300, 7), deflate: true }, { name: 'b', data: Buffer.from('b') }]))).toBe('accepted');
    const zip = writeZip([{ name: 'a', data: Buffer.alloc(300, 7) }], new Date());
    expect(outcome(zip)).toBe('accepted');
  });
});

/**
 * Files that read as a backup here but as other files in other zip tools (found by an
 * independent review): every byte must belong to a listed entry, the directory or the end
 * record, and no header may give an entry a second name.
 */
describe('readZipDirectory leaves nothing for another zip tool to find', () => {
  const real = [
    { name: 'manifest.json', data: Buffer.from('{"m":1}\n'.repeat(20)), deflate: true },
    { name: 'certificate.p12', data: randomBytes(600) },
  ];
  const evil = { name: '../../Startup/evil.bat', data: Buffer.from('@echo pwned\r\n') };
  it('sanity: the plain zip is read', () => expect(outcome(rawZip(real))).toBe('accepted'));

  it('a local record the directory does not list (at the start, between entries, before the directory)', () => {
    expect(outcome(rawZip([{ ...evil, unlisted: true }, ...real]))).toBe('BACKUP_DAMAGED');
    expect(outcome(rawZip([real[0]!, { ...evil, unlisted: true }, real[1]!]))).toBe('BACKUP_DAMAGED');
    expect(outcome(rawZip([...real, { ...evil, unlisted: true }]))).toBe('BACKUP_DAMAGED');
  });

  it('a second directory after ours, which readers that trust the directory size read instead', () => {
    const ours = rawZip(real);
    const cdOffset = ours.readUInt32LE(ours.length - 6);
    const theirs = rawZip([evil]);
    const theirDirectory = theirs.subarray(theirs.readUInt32LE(theirs.length - 6), theirs.length - 22);
    const end = Buffer.from(ours.subarray(ours.length - 22));
    end.writeUInt32LE(theirDirectory.length, 12);
    expect(outcome(Buffer.concat([ours.subarray(0, ours.length - 22), theirDirectory, end]))).toBe('BACKUP_DAMAGED');
    // and the simplest gap: a few bytes between the directory and the end record
    expect(outcome(Buffer.concat([ours.subarray(0, ours.length - 22), Buffer.alloc(10), ours.subarray(ours.length - 22)]))).toBe('BACKUP_DAMAGED');
    expect(cdOffset).toBeGreaterThan(0);
  });

  it('a local record hidden after the end of a deflate stream, inside the entry\'s compressed size', () => {
    const hidden = rawZip([evil]).subarray(0, 30 + evil.name.length + evil.data.length);
    expect(outcome(rawZip([{ ...real[0]!, trailing: hidden }, real[1]!]))).toBe('BACKUP_DAMAGED');
  });

  it('an Info-ZIP Unicode Path extra field giving an entry another name, or a zip64 one; other extra fields are fine', () => {
    const field = (id: number, body: Buffer) => Buffer.concat([Buffer.from([id & 0xff, id >> 8, body.length & 0xff, body.length >> 8]), body]);
    const unicodePath = field(0x7075, Buffer.concat([Buffer.from([1, 0, 0, 0, 0]), Buffer.from('../evil.json')]));
    expect(outcome(rawZip([{ ...real[0]!, extra: unicodePath }, real[1]!]))).toBe('BACKUP_HOSTILE_ENTRY');
    expect(outcome(rawZip([{ ...real[0]!, extra: field(0x0001, Buffer.alloc(16)) }, real[1]!]))).toBe('BACKUP_HOSTILE_ENTRY');
    expect(outcome(rawZip([{ ...real[0]!, extra: Buffer.from([0x0a, 0x00, 0x05]) }, real[1]!]))).toBe('BACKUP_DAMAGED'); // cut short
    expect(outcome(rawZip([{ ...real[0]!, extra: field(0x000a, Buffer.alloc(32)) }, real[1]!]))).toBe('accepted'); // NTFS times
  });

  it('headers that disagree on method or flags', () => {
    const zip = rawZip(real);
    const wrongMethod = Buffer.from(zip);
    wrongMethod.writeUInt16LE(0, 8); // the first local header says stored, its directory entry deflated
    expect(outcome(wrongMethod)).toBe('BACKUP_DAMAGED');
    const wrongFlags = Buffer.from(zip);
    wrongFlags.writeUInt16LE(wrongFlags.readUInt16LE(6) ^ 0x0004, 6);
    expect(outcome(wrongFlags)).toBe('BACKUP_DAMAGED');
  });
});

/** `data` with four bytes appended so that its CRC-32 is `target` (CRC-32 is linear; see Nayuki's "forcecrc32"). */
function withCrc(data: Buffer, target: number): Buffer {
  const table = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const byTopByte = new Map(table.map((v, i) => [v >>> 24, i]));
  const indexes: number[] = [];
  let s = ~target >>> 0;
  for (let k = 0; k < 4; k++) {
    const j = byTopByte.get(s >>> 24)!;
    indexes.unshift(j);
    s = ((s ^ table[j]!) << 8) >>> 0;
  }
  let state = ~crc32(data) >>> 0;
  const tail = indexes.map((j) => {
    const b = (state ^ j) & 0xff;
    state = ((state >>> 8) ^ table[(state ^ b) & 0xff]!) >>> 0;
    return b;
  });
  return Buffer.concat([data, Buffer.from(tail)]);
}

/** Found by a second independent review: what streaming readers and other tools would read differently, and our own rare output. */
describe('entries other tools would read differently', () => {
  const manifest = { name: 'manifest.json', data: Buffer.from('{"m":1}\n'.repeat(20)), deflate: true };
  const cer = { name: 'certificate.cer', data: randomBytes(700) };
  it('sanity: deflated entries with signed data descriptors, as archiver wrote them, are read', () => {
    expect(outcome(rawZip([{ ...manifest, descriptor: 'signed' }, { ...cer, deflate: true, descriptor: 'signed' }]))).toBe('accepted');
    // Local sizes repeated instead of zero, as Info-ZIP's zip writes the uncompressed size to a pipe.
    expect(outcome(rawZip([{ ...manifest, descriptor: 'signed', localSizes: 'same' }]))).toBe('accepted');
  });

  it('data descriptors a streaming reader would misplace: unsigned, after a stored entry, or preceded by a descriptor signature inside the data', () => {
    expect(outcome(rawZip([{ ...manifest, descriptor: 'unsigned' }, cer]))).toBe('BACKUP_DAMAGED');
    expect(outcome(rawZip([manifest, { ...cer, descriptor: 'signed' }]))).toBe('BACKUP_DAMAGED'); // stored
    // A descriptor signature inside the deflated bytes themselves (here in a stored deflate block).
    const storedBlock = Buffer.concat([Buffer.from([0x01, 0x08, 0x00, 0xf7, 0xff]), Buffer.from([0x50, 0x4b, 0x07, 0x08, 1, 2, 3, 4])]);
    const forged = rawZip([{ name: 'certificate.cer', data: Buffer.alloc(0), deflate: true, descriptor: 'signed', trailing: storedBlock }]);
    expect(outcome(forged)).toBe('BACKUP_DAMAGED');
    // Local sizes that are neither zero nor the directory's.
    const lying = rawZip([{ ...manifest, descriptor: 'signed', localSizes: 'same' }]);
    lying.writeUInt32LE(lying.readUInt32LE(22) + 1, 22);
    expect(outcome(lying)).toBe('BACKUP_DAMAGED');
  });

  it('a newer "version needed", unusual flags, a disk number, an entry comment, a link or a folder', () => {
    expect(outcome(rawZip([{ ...manifest, versionNeeded: 45 }]))).toBe('BACKUP_DAMAGED');
    expect(outcome(rawZip([{ ...manifest, flags: 1 << 5 }]))).toBe('BACKUP_DAMAGED');
    expect(outcome(rawZip([{ ...manifest, flags: 1 << 13 }]))).toBe('BACKUP_DAMAGED');
    expect(outcome(rawZip([{ ...manifest, diskStart: 1 }]))).toBe('BACKUP_DAMAGED');
    expect(outcome(rawZip([{ ...manifest, comment: Buffer.from('note') }]))).toBe('BACKUP_DAMAGED');
    expect(outcome(rawZip([{ ...manifest, madeBy: (3 << 8) | 20, externalAttributes: (0o120777 << 16) >>> 0 }]))).toBe('BACKUP_HOSTILE_ENTRY');
    expect(outcome(rawZip([{ ...manifest, madeBy: (3 << 8) | 20, externalAttributes: (0o040755 << 16) >>> 0 }]))).toBe('BACKUP_HOSTILE_ENTRY');
    expect(outcome(rawZip([{ ...manifest, madeBy: (3 << 8) | 20, externalAttributes: (0o100644 << 16) >>> 0 }]))).toBe('accepted');
    const zip = rawZip([manifest]);
    zip.writeUInt16LE(1, zip.length - 22 + 6); // the disk where the directory starts
    expect(outcome(zip)).toBe('BACKUP_DAMAGED');
  });

  it('writeZip output whose last directory entry reads as an end-record signature is padded, so it is still read', () => {
    const history = withCrc(Buffer.from('{"replaced":[]}\n'), 0x06054b50);
    expect(crc32(history)).toBe(0x06054b50);
    const zip = writeZip([{ name: 'manifest.json', data: Buffer.from('{}') }, { name: 'history.json', data: history }], new Date(2026, 0, 1));
    expect(readAll(zip).map(([name]) => name)).toEqual(['manifest.json', 'history.json']);
    expect(readAll(zip)[1]![1]).toEqual(history);
    // Without the padding the signature would sit 64 bytes from the end, where readers look.
    const signature = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
    expect(zip.indexOf(signature)).toBeLessThan(zip.length - 80);
    expect(zip.lastIndexOf(signature)).toBe(zip.length - 22);
  });

  it('escapes every character of a hostile name in messages (8-bit CSI, line separator, direction mark)', () => {
    const name = 'a\u009b31m\u2028\u202eb';
    try {
      const zip = rawZip([{ name, data: Buffer.from('x'), deflate: false }]);
      zip[30 + Buffer.byteLength(name)]! ^= 1; // the data no longer matches its CRC
      for (const e of readZipDirectory(zip, 16)) readZipEntry(zip, e, 100);
      expect.unreachable();
    } catch (e) {
      const message = (e as Error).message;
      expect(message).toMatch(/^[\x20-\x7e]+$/);
      expect(message).toContain('\\u009b');
    }
  });
});
