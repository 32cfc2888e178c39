// Minimal, dependency-free reader for Windows PE (Portable Executable) headers, used at build
// time to check the executables that go into the installer: the app's GUI executable and the
// console launcher (see docs/console-entry-point.md). Everything is validated before it is read;
// anything that is not a well-formed PE image is refused with a PeFormatError.
//
// Layout (Microsoft "PE Format" specification):
//   DOS header: "MZ" at 0, e_lfanew (u32) at 0x3C -> offset of the NT headers
//   NT headers: "PE\0\0", COFF file header (20 bytes), optional header
//   optional header: Magic 0x10B (PE32) / 0x20B (PE32+); CheckSum at +64, Subsystem at +68
//   (same offsets in both formats); data directories at +96 (PE32) / +112 (PE32+)
//   section table right after the optional header (40 bytes per section)

import { createHash } from 'node:crypto';

export class PeFormatError extends Error {
  name = 'PeFormatError';
}

export const Subsystem = Object.freeze({
  UNKNOWN: 0,
  NATIVE: 1,
  WINDOWS_GUI: 2,
  WINDOWS_CUI: 3,
  OS2_CUI: 5,
  POSIX_CUI: 7,
  WINDOWS_CE_GUI: 9,
  EFI_APPLICATION: 10,
  EFI_BOOT_SERVICE_DRIVER: 11,
  EFI_RUNTIME_DRIVER: 12,
  EFI_ROM: 13,
  XBOX: 14,
  WINDOWS_BOOT_APPLICATION: 16,
});

export const Machine = Object.freeze({ I386: 0x014c, AMD64: 0x8664, ARM64: 0xaa64, ARMNT: 0x01c4 });

/** Data directory indexes used here. */
export const DataDirectory = Object.freeze({ IMPORT: 1, RESOURCE: 2, SECURITY: 4 });

const PE32 = 0x10b;
const PE32_PLUS = 0x20b;
const IMAGE_FILE_EXECUTABLE_IMAGE = 0x0002;
const IMAGE_FILE_DLL = 0x2000;
/** Windows refuses e_lfanew beyond 256 MB (RtlImageNtHeaderEx); so do we. */
const MAX_LFANEW = 0x10000000;

function need(cond, message) {
  if (!cond) throw new PeFormatError(message);
}

function asBuffer(data) {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof Uint8Array) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('expected a Buffer or Uint8Array');
}

/**
 * Parses and validates the DOS, COFF and optional headers and the section table.
 * @param {Uint8Array} data the whole file
 */
export function readPeHeaders(data) {
  const buf = asBuffer(data);
  need(buf.length >= 64, `not a PE image: ${buf.length} bytes is smaller than a DOS header`);
  need(buf[0] === 0x4d && buf[1] === 0x5a, 'not a PE image: no "MZ" DOS signature');
  const peOffset = buf.readUInt32LE(0x3c);
  need(peOffset >= 0x40 && peOffset < MAX_LFANEW, `not a PE image: implausible e_lfanew 0x${peOffset.toString(16)}`);
  need(peOffset + 24 <= buf.length, 'not a PE image: e_lfanew points past the end of the file');
  need(buf.readUInt32LE(peOffset) === 0x00004550, 'not a PE image: no "PE\\0\\0" signature at e_lfanew');

  const coff = peOffset + 4;
  const machine = buf.readUInt16LE(coff);
  const numberOfSections = buf.readUInt16LE(coff + 2);
  const sizeOfOptionalHeader = buf.readUInt16LE(coff + 16);
  const characteristics = buf.readUInt16LE(coff + 18);
  need((characteristics & IMAGE_FILE_EXECUTABLE_IMAGE) !== 0, 'not an executable image: IMAGE_FILE_EXECUTABLE_IMAGE is not set');

  const opt = coff + 20;
  need(sizeOfOptionalHeader >= 2 && opt + 2 <= buf.length, 'not a PE image: no optional header');
  const magic = buf.readUInt16LE(opt);
  need(magic === PE32 || magic === PE32_PLUS, `unsupported optional header magic 0x${magic.toString(16)} (expected 0x10b PE32 or 0x20b PE32+)`);
  const isPlus = magic === PE32_PLUS;
  const dataDirOffset = opt + (isPlus ? 112 : 96);
  need(sizeOfOptionalHeader >= dataDirOffset - opt, `optional header too small (${sizeOfOptionalHeader} bytes) for ${isPlus ? 'PE32+' : 'PE32'}`);
  need(opt + sizeOfOptionalHeader <= buf.length, 'optional header runs past the end of the file');
  const numberOfRvaAndSizes = buf.readUInt32LE(dataDirOffset - 4);
  const dirCount = Math.min(numberOfRvaAndSizes, 16, Math.floor((sizeOfOptionalHeader - (dataDirOffset - opt)) / 8));

  const sectionTable = opt + sizeOfOptionalHeader;
  need(numberOfSections <= 96, `implausible number of sections (${numberOfSections})`);
  need(sectionTable + numberOfSections * 40 <= buf.length, 'section table runs past the end of the file');
  const sections = [];
  for (let i = 0; i < numberOfSections; i++) {
    const s = sectionTable + i * 40;
    const rawName = buf.subarray(s, s + 8);
    const nul = rawName.indexOf(0);
    sections.push({
      name: rawName.subarray(0, nul === -1 ? 8 : nul).toString('latin1'),
      virtualSize: buf.readUInt32LE(s + 8),
      virtualAddress: buf.readUInt32LE(s + 12),
      sizeOfRawData: buf.readUInt32LE(s + 16),
      pointerToRawData: buf.readUInt32LE(s + 20),
    });
  }

  const dataDirectories = [];
  for (let i = 0; i < dirCount; i++) {
    dataDirectories.push({ rva: buf.readUInt32LE(dataDirOffset + i * 8), size: buf.readUInt32LE(dataDirOffset + i * 8 + 4) });
  }

  return {
    peOffset,
    machine,
    characteristics,
    isDll: (characteristics & IMAGE_FILE_DLL) !== 0,
    format: isPlus ? 'PE32+' : 'PE32',
    checksumOffset: opt + 64,
    checksum: buf.readUInt32LE(opt + 64),
    subsystemOffset: opt + 68,
    subsystem: buf.readUInt16LE(opt + 68),
    dllCharacteristics: buf.readUInt16LE(opt + 70),
    sections,
    dataDirectories,
  };
}

/** Subsystem value of a PE image (2 = Windows GUI, 3 = Windows console). */
export function readSubsystem(data) {
  return readPeHeaders(data).subsystem;
}

/**
 * The PE image checksum as imagehlp's CheckSumMappedFile computes it: the one's-complement-style
 * 16-bit sum of the file (with the CheckSum field counted as zero), folded, plus the file length.
 * @param {Uint8Array} data the whole file
 */
export function computePeChecksum(data) {
  const buf = asBuffer(data);
  const { checksumOffset } = readPeHeaders(buf);
  const len = buf.length;
  let sum = 0;
  const even = len & ~1;
  for (let i = 0; i < even; i += 2) {
    if (i === checksumOffset || i === checksumOffset + 2) continue;
    sum += buf[i] | (buf[i + 1] << 8);
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  if (len & 1) {
    sum += buf[len - 1];
    sum = (sum & 0xffff) + (sum >>> 16);
  }
  sum = (sum & 0xffff) + (sum >>> 16);
  return (sum + len) >>> 0;
}

/** True when the stored CheckSum field equals the computed one (a zero field means "not set"). */
export function verifyPeChecksum(data) {
  const stored = readPeHeaders(data).checksum;
  return { stored, computed: computePeChecksum(data), valid: stored !== 0 && stored === computePeChecksum(data) };
}

/** A copy of the image with the CheckSum field set to the correct value. */
export function withUpdatedChecksum(data) {
  const out = Buffer.from(asBuffer(data));
  const { checksumOffset } = readPeHeaders(out);
  out.writeUInt32LE(computePeChecksum(out), checksumOffset);
  return out;
}

/** File offset of a relative virtual address, or -1 when no section holds it. */
export function rvaToOffset(headers, rva) {
  for (const s of headers.sections) {
    const size = Math.max(s.virtualSize, s.sizeOfRawData);
    if (rva >= s.virtualAddress && rva < s.virtualAddress + size) {
      const delta = rva - s.virtualAddress;
      return delta < s.sizeOfRawData ? s.pointerToRawData + delta : -1;
    }
  }
  return -1;
}

function readCString(buf, offset, max = 256) {
  need(offset >= 0 && offset < buf.length, 'string outside the file');
  const end = buf.indexOf(0, offset);
  need(end !== -1 && end - offset <= max, 'unterminated or overlong string');
  return buf.toString('latin1', offset, end);
}

/**
 * Names of the DLLs the image imports (its import directory), in file order.
 * @param {Uint8Array} data the whole file
 */
export function listImportedDlls(data) {
  const buf = asBuffer(data);
  const headers = readPeHeaders(buf);
  const dir = headers.dataDirectories[DataDirectory.IMPORT];
  if (!dir || dir.rva === 0 || dir.size === 0) return [];
  let offset = rvaToOffset(headers, dir.rva);
  need(offset >= 0, 'import directory is not inside any section');
  const names = [];
  for (let i = 0; i < 4096; i++, offset += 20) {
    need(offset + 20 <= buf.length, 'import directory runs past the end of the file');
    const nameRva = buf.readUInt32LE(offset + 12);
    const firstThunk = buf.readUInt32LE(offset + 16);
    if (nameRva === 0 && firstThunk === 0) return names;
    names.push(readCString(buf, rvaToOffset(headers, nameRva)));
  }
  throw new PeFormatError('import directory has no terminating entry');
}

/**
 * SHA-256 over the raw data of every section: equal for two copies of one program even when
 * they were signed separately (a signature changes the checksum, the security directory and the
 * bytes appended after the sections, never the sections).
 * @param {Uint8Array} data the whole file
 */
export function sectionsDigest(data) {
  const buf = asBuffer(data);
  const hash = createHash('sha256');
  for (const s of readPeHeaders(buf).sections) {
    need(s.pointerToRawData + s.sizeOfRawData <= buf.length, `section ${s.name} runs past the end of the file`);
    hash.update(s.name).update(buf.subarray(s.pointerToRawData, s.pointerToRawData + s.sizeOfRawData));
  }
  return hash.digest('hex');
}

/** True when the image carries an Authenticode signature (a non-empty security directory). */
export function hasAuthenticodeSignature(data) {
  const dir = readPeHeaders(data).dataDirectories[DataDirectory.SECURITY];
  return !!dir && dir.rva !== 0 && dir.size !== 0;
}
