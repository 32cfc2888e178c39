// The PE reader (scripts/installer/pe.mjs) against real Windows executables shipped in npm
// packages: the build uses it to check the app's executable and the console launcher.
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import fc from 'fast-check';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  Machine,
  PeFormatError,
  Subsystem,
  computePeChecksum,
  hasAuthenticodeSignature,
  listImportedDlls,
  readPeHeaders,
  readSubsystem,
  sectionsDigest,
  verifyPeChecksum,
  withUpdatedChecksum,
} from '../../scripts/installer/pe.mjs';
import { ROOT, findNodeModulesExes, findSevenZip } from './helpers.js';

const exes = findNodeModulesExes();
const byName = (name: string) => exes.find((p) => basename(p).toLowerCase() === name.toLowerCase());

/** Real executables with known properties (electron-builder's dependency tree ships them). */
const signtool64 = byName('signtool.exe') && exes.find((p) => p.includes('@electron/windows-sign'));
const gui32 = byName('StubExecutable.exe') ?? byName('Setup.exe');
const cui64 = findSevenZip(exes);

describe('the test corpus', () => {
  it('finds real Windows executables under node_modules', () => {
    expect(exes.length).toBeGreaterThan(3);
    expect(signtool64, 'signtool.exe from @electron/windows-sign').toBeTruthy();
    expect(gui32, 'a 32-bit GUI program (Squirrel StubExecutable/Setup)').toBeTruthy();
    expect(cui64, 'a 64-bit console program (7-Zip)').toBeTruthy();
  });
});

describe('readPeHeaders on real executables', () => {
  it('parses every .exe found in node_modules', () => {
    for (const file of exes) {
      const h = readPeHeaders(readFileSync(file));
      expect([Machine.I386, Machine.AMD64, Machine.ARM64], file).toContain(h.machine);
      expect(['PE32', 'PE32+'], file).toContain(h.format);
      expect(h.isDll, file).toBe(false);
      expect([Subsystem.WINDOWS_GUI, Subsystem.WINDOWS_CUI], file).toContain(h.subsystem);
      expect(h.sections.length, file).toBeGreaterThan(0);
      // PE32+ has 16 more bytes of optional header before the data directories.
      expect(h.subsystemOffset - h.peOffset, file).toBe(24 + 68);
    }
  });

  it('tells a 64-bit console program from a 32-bit GUI program', () => {
    const cui = readPeHeaders(readFileSync(cui64!));
    expect(cui).toMatchObject({ format: 'PE32+', machine: Machine.AMD64, subsystem: Subsystem.WINDOWS_CUI });
    const gui = readPeHeaders(readFileSync(gui32!));
    expect(gui).toMatchObject({ format: 'PE32', machine: Machine.I386, subsystem: Subsystem.WINDOWS_GUI });
    expect(readSubsystem(readFileSync(signtool64!))).toBe(Subsystem.WINDOWS_CUI);
  });

  it('reads the subsystem byte where Windows reads it', () => {
    const buf = readFileSync(cui64!);
    const h = readPeHeaders(buf);
    const eLfanew = buf.readUInt32LE(0x3c);
    expect(h.peOffset).toBe(eLfanew);
    expect(buf.readUInt16LE(eLfanew + 24)).toBe(0x20b); // optional header magic, PE32+
    expect(buf.readUInt16LE(eLfanew + 24 + 68)).toBe(h.subsystem);
  });

  it('lists imported DLLs', () => {
    const imports = listImportedDlls(readFileSync(signtool64!)).map((d) => d.toLowerCase());
    expect(imports).toEqual(expect.arrayContaining(['kernel32.dll', 'crypt32.dll', 'wintrust.dll']));
    for (const file of exes) expect(listImportedDlls(readFileSync(file)).length, file).toBeGreaterThan(0);
  });

  it('sees Authenticode signatures', () => {
    expect(hasAuthenticodeSignature(readFileSync(signtool64!))).toBe(true);
    expect(hasAuthenticodeSignature(readFileSync(cui64!))).toBe(false);
  });
});

describe('PE checksum', () => {
  const withStoredChecksum = exes.filter((f) => readPeHeaders(readFileSync(f)).checksum !== 0);

  it('matches every stored checksum, computed independently of it', () => {
    // signtool.exe (Microsoft-signed, PE32 and PE32+) carries a real checksum.
    expect(withStoredChecksum.length).toBeGreaterThan(0);
    expect(withStoredChecksum).toContain(signtool64);
    for (const file of withStoredChecksum) {
      const buf = readFileSync(file);
      const stored = readPeHeaders(buf).checksum;
      expect(computePeChecksum(buf), file).toBe(stored);
      expect(verifyPeChecksum(buf).valid, file).toBe(true);
    }
  });

  it('writes the correct checksum into a copy whose checksum was cleared', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm-pe-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    for (const file of withStoredChecksum) {
      const original = readFileSync(file);
      const copy = join(dir, basename(file));
      copyFileSync(file, copy);
      const cleared = readFileSync(copy);
      cleared.writeUInt32LE(0, readPeHeaders(cleared).checksumOffset);
      writeFileSync(copy, cleared);
      expect(verifyPeChecksum(readFileSync(copy)).valid).toBe(false);
      const fixed = withUpdatedChecksum(readFileSync(copy));
      expect(fixed.equals(original), file).toBe(true);
      // the input is not modified
      expect(readPeHeaders(readFileSync(copy)).checksum).toBe(0);
    }
  });

  it('changes when any covered byte changes, and not with the checksum field', () => {
    const buf = readFileSync(cui64!);
    const before = computePeChecksum(buf);
    const { checksumOffset } = readPeHeaders(buf);
    const changedField = Buffer.from(buf);
    changedField.writeUInt32LE(0xdeadbeef, checksumOffset);
    expect(computePeChecksum(changedField)).toBe(before);
    const changedByte = Buffer.from(buf);
    changedByte[buf.length - 1] = changedByte[buf.length - 1]! ^ 0xff;
    expect(computePeChecksum(changedByte)).not.toBe(before);
  });

  it('counts an odd trailing byte', () => {
    const buf = readFileSync(cui64!);
    const odd = Buffer.concat([buf, Buffer.from([0x7f])]);
    expect(computePeChecksum(odd)).not.toBe(computePeChecksum(Buffer.concat([buf, Buffer.from([0])])));
  });
});

describe('sectionsDigest', () => {
  it('ignores the checksum and what follows the sections, sees section bytes', () => {
    const buf = readFileSync(cui64!);
    const digest = sectionsDigest(buf);
    const resigned = Buffer.concat([withUpdatedChecksum(buf), Buffer.alloc(512, 0x55)]);
    expect(sectionsDigest(resigned)).toBe(digest);
    const patched = Buffer.from(buf);
    const text = readPeHeaders(buf).sections[0]!;
    patched[text.pointerToRawData + 16] = patched[text.pointerToRawData + 16]! ^ 1;
    expect(sectionsDigest(patched)).not.toBe(digest);
  });
});

describe('refusing what is not a PE image', () => {
  let real: Buffer;
  let h: ReturnType<typeof readPeHeaders>;
  beforeAll(() => {
    real = readFileSync(cui64!);
    h = readPeHeaders(real);
  });
  const refuses = (buf: Buffer, message: RegExp) => {
    expect(() => readPeHeaders(buf)).toThrow(PeFormatError);
    expect(() => readPeHeaders(buf)).toThrow(message);
  };

  it('refuses files that are not executables at all', () => {
    refuses(readFileSync(join(ROOT, 'package.json')), /no "MZ"/);
    refuses(readFileSync(join(ROOT, 'build', 'icon.png')), /no "MZ"/);
    refuses(Buffer.alloc(0), /smaller than a DOS header/);
    refuses(real.subarray(0, 63), /smaller than a DOS header/);
  });

  it('refuses a truncated executable', () => {
    refuses(real.subarray(0, h.peOffset + 10), /past the end/);
    refuses(real.subarray(0, h.subsystemOffset), /past the end/);
  });

  it('refuses a broken e_lfanew, PE signature or optional header magic', () => {
    const lfanew = Buffer.from(real);
    lfanew.writeUInt32LE(real.length + 100, 0x3c);
    refuses(lfanew, /e_lfanew/);
    const small = Buffer.from(real);
    small.writeUInt32LE(4, 0x3c);
    refuses(small, /implausible e_lfanew/);
    const sig = Buffer.from(real);
    sig.write('NE', h.peOffset, 'latin1');
    refuses(sig, /no "PE\\0\\0" signature/);
    const rom = Buffer.from(real);
    rom.writeUInt16LE(0x107, h.peOffset + 24);
    refuses(rom, /unsupported optional header magic 0x107/);
  });

  it('refuses an object file that is not an executable image', () => {
    const obj = Buffer.from(real);
    obj.writeUInt16LE(readPeHeaders(real).characteristics & ~0x2, h.peOffset + 4 + 18);
    refuses(obj, /IMAGE_FILE_EXECUTABLE_IMAGE/);
  });

  it('never fails with anything but PeFormatError on damaged headers (property)', () => {
    const headerEnd = Math.min(real.length, h.sections[0]!.pointerToRawData);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(headerEnd - 1), fc.nat(255)), { minLength: 1, maxLength: 12 }), fc.nat(real.length), (edits, cut) => {
        const buf = Buffer.from(real.subarray(0, Math.max(cut, 64)));
        for (const [at, value] of edits) if (at < buf.length) buf[at] = value;
        for (const read of [readPeHeaders, listImportedDlls, computePeChecksum, sectionsDigest] as ((b: Buffer) => unknown)[]) {
          try {
            read(buf);
          } catch (e) {
            if (!(e instanceof PeFormatError)) throw e;
          }
        }
      }),
      { numRuns: 300 },
    );
  });
});
