/**
 * The zip files backups are: a handful of named entries held in memory, each stored or
 * deflated (PKZIP APPNOTE 6.3.x, the subset every unzip tool reads: no zip64, no encryption, no
 * spanning, no comment). We write that subset and read only that subset.
 *
 * Why not a zip library: backups used archiver to write and unzipper to read. Together they
 * loaded ~640 kB of JavaScript (bluebird, fs-extra, readable-stream, async, minimatch, tar-stream,
 * ...) into every -b, -g, -c, -r and verify-backup, about 60 ms of each command's start on a
 * two-core server, to write or read four entries. And unzipper trusted what it read: a 300-byte
 * file declaring four billion entries made it loop, a decoy end record in a comment was the one
 * it believed, and it read entries by their central names while other tools use the local ones.
 * So this module already had to walk the whole structure before unzipper saw it; now that walk
 * also yields the entries, and node:zlib inflates each one with a hard cap on its output.
 */
import { crc32, deflateRawSync, inflateRawSync } from 'node:zlib';
import { badInput } from '../errors.js';

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
/** A signature as the bytes a search of the file finds (little-endian). */
function signatureBytes(signature: number): Buffer {
  const bytes = Buffer.alloc(4);
  bytes.writeUInt32LE(signature);
  return bytes;
}
const EOCD_SIGNATURE_BYTES = signatureBytes(EOCD_SIGNATURE);
const EOCD_SIZE = 22;
const LOCAL_HEADER_SIZE = 30;
const CENTRAL_HEADER_SIZE = 46;
/** Readers that look for the end record near the end (unzipper looked in the last 80 bytes) must see only ours. */
const END_RECORD_WINDOW = 80;
const MAX_COMMENT = 0xffff;

export const STORED = 0;
export const DEFLATED = 8;
const FLAG_ENCRYPTED = 0x0001;
const VERSION_NEEDED = 20; // 2.0: deflate
/** "Made by" Unix (3), so unzip on Linux gives the key file mode 0600; Windows ignores it. */
const VERSION_MADE_BY = (3 << 8) | VERSION_NEEDED;
const FILE_MODE_0600 = (0o100600 << 16) >>> 0;
/** An extra field of zeros that only moves bytes (writeZip); readers skip extra fields they do not know. */
const PADDING_EXTRA_ID = 0x4d43; // the bytes 'C', 'M'

const hostile = (message: string) => badInput('BACKUP_DAMAGED', `${message} Use another backup.`);
/**
 * An entry name as messages show it: quoted, everything but printable ASCII escaped (a hostile
 * name may hold terminal escapes, 8-bit CSI, line or direction marks), and short.
 */
const shown = (name: string) =>
  JSON.stringify(name)
    .replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
    .slice(0, 80);

/** The DOS date and time zip headers carry (local time, 2-second steps, 1980 to 2107), as archiver and Explorer write them. */
function dosDateTime(date: Date): { date: number; time: number } {
  if (Number.isNaN(date.getTime())) throw new Error('zip entry date is not a valid date');
  const first = new Date(1980, 0, 1, 0, 0, 0);
  const last = new Date(2107, 11, 31, 23, 59, 58);
  const d = date < first ? first : date > last ? last : date;
  return {
    date: ((d.getFullYear() - 1980) << 9) | ((d.getMonth() + 1) << 5) | d.getDate(),
    time: (d.getHours() << 11) | (d.getMinutes() << 5) | Math.floor(d.getSeconds() / 2),
  };
}

/**
 * The fields a local header (from byte 4) and its directory entry (from byte 6) both carry, in
 * the same order: version needed, flags, method, time, date, CRC-32, sizes, name and extra
 * lengths (26 bytes).
 */
interface SharedFields {
  versionNeeded: number;
  flags: number;
  method: number;
  time: number;
  date: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  nameLength: number;
  extraLength: number;
}

function writeSharedFields(header: Buffer, at: number, f: SharedFields): void {
  header.writeUInt16LE(f.versionNeeded, at);
  header.writeUInt16LE(f.flags, at + 2);
  header.writeUInt16LE(f.method, at + 4);
  header.writeUInt16LE(f.time, at + 6);
  header.writeUInt16LE(f.date, at + 8);
  header.writeUInt32LE(f.crc32, at + 10);
  header.writeUInt32LE(f.compressedSize, at + 14);
  header.writeUInt32LE(f.uncompressedSize, at + 18);
  header.writeUInt16LE(f.nameLength, at + 22);
  header.writeUInt16LE(f.extraLength, at + 24);
}

function readSharedFields(data: Buffer, at: number): SharedFields {
  return {
    versionNeeded: data.readUInt16LE(at),
    flags: data.readUInt16LE(at + 2),
    method: data.readUInt16LE(at + 4),
    time: data.readUInt16LE(at + 6),
    date: data.readUInt16LE(at + 8),
    crc32: data.readUInt32LE(at + 10),
    compressedSize: data.readUInt32LE(at + 14),
    uncompressedSize: data.readUInt32LE(at + 18),
    nameLength: data.readUInt16LE(at + 22),
    extraLength: data.readUInt16LE(at + 24),
  };
}
const LOCAL_SHARED_AT = 4;
const CENTRAL_SHARED_AT = 6;

/**
 * A zip of `entries` (name and bytes, in this order), all dated `date`. Each entry is deflated
 * at level 9 unless that does not make it smaller (an encrypted PKCS#12 does not shrink); then
 * it is stored. Names must be plain ASCII file names.
 */
export function writeZip(entries: ReadonlyArray<{ name: string; data: Buffer }>, date: Date): Buffer {
  const { date: dosDate, time: dosTime } = dosDateTime(date);
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const { name, data } of entries) {
    if (!/^[\x21-\x7e]+$/.test(name)) throw new Error(`zip entry name must be printable ASCII: ${JSON.stringify(name)}`);
    const nameBytes = Buffer.from(name, 'ascii');
    const deflated = deflateRawSync(data, { level: 9 });
    const method = deflated.length < data.length ? DEFLATED : STORED;
    const body = method === DEFLATED ? deflated : data;
    // No flags: the CRC and sizes are in the headers, no data descriptor follows. No extra field.
    const fields: SharedFields = {
      versionNeeded: VERSION_NEEDED,
      flags: 0,
      method,
      time: dosTime,
      date: dosDate,
      crc32: crc32(data),
      compressedSize: body.length,
      uncompressedSize: data.length,
      nameLength: nameBytes.length,
      extraLength: 0,
    };
    const local = Buffer.alloc(LOCAL_HEADER_SIZE);
    local.writeUInt32LE(LOCAL_SIGNATURE, 0);
    writeSharedFields(local, LOCAL_SHARED_AT, fields);
    locals.push(local, nameBytes, body);

    const central = Buffer.alloc(CENTRAL_HEADER_SIZE);
    central.writeUInt32LE(CENTRAL_SIGNATURE, 0);
    central.writeUInt16LE(VERSION_MADE_BY, 4);
    writeSharedFields(central, CENTRAL_SHARED_AT, fields);
    // comment, disk number and internal attributes: all zero
    central.writeUInt32LE(FILE_MODE_0600, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);

    offset += LOCAL_HEADER_SIZE + nameBytes.length + body.length;
  }
  const zip = assemble(locals, centrals, offset, entries.length);
  if (zip.indexOf(EOCD_SIGNATURE_BYTES, zip.length - END_RECORD_WINDOW) === zip.length - EOCD_SIZE) return zip;
  // The last directory entry's CRC or sizes happen to read as an end-record signature inside
  // the window where readers look for one (about 1 in 65,536 backups whose history deflates to
  // 1,541 bytes): the reader would refuse this file as hostile. A padding extra field moves the
  // entry's fixed fields out of that window.
  const last = centrals.length - 2;
  const padding = Buffer.alloc(4 + END_RECORD_WINDOW);
  padding.writeUInt16LE(PADDING_EXTRA_ID, 0);
  padding.writeUInt16LE(END_RECORD_WINDOW, 2);
  const header = Buffer.from(centrals[last]!);
  header.writeUInt16LE(padding.length, 30);
  centrals.splice(last, 2, header, centrals[last + 1]!, padding);
  return assemble(locals, centrals, offset, entries.length);
}

/** The local records, then the directory, then the end record. */
function assemble(locals: Buffer[], centrals: Buffer[], directoryOffset: number, count: number): Buffer {
  const directorySize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(EOCD_SIZE);
  end.writeUInt32LE(EOCD_SIGNATURE, 0);
  end.writeUInt16LE(count, 8);
  end.writeUInt16LE(count, 10);
  end.writeUInt32LE(directorySize, 12);
  end.writeUInt32LE(directoryOffset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

/** One entry as the central directory describes it, checked against its local header. */
interface ZipEntry {
  name: string;
  flags: number;
  method: number;
  crc32: number;
  compressedSize: number;
  uncompressedSize: number;
  /** Where the entry's (compressed) bytes start. */
  dataOffset: number;
}

const DESCRIPTOR_SIGNATURE = 0x08074b50;
const DESCRIPTOR_SIGNATURE_BYTES = signatureBytes(DESCRIPTOR_SIGNATURE);
/** Signature, CRC-32, compressed and uncompressed size. */
const DESCRIPTOR_SIZE = 16;
const FLAG_DESCRIPTOR = 0x0008;
/** Flags a backup's entries may carry: encrypted (refused by the caller, with its own message), deflate's level hints, sizes after the data, UTF-8 names. */
const ALLOWED_FLAGS = FLAG_ENCRYPTED | 0x0002 | 0x0004 | FLAG_DESCRIPTOR | 0x0800;
const UNIX_FILE_TYPE = 0o170000;
const UNIX_REGULAR_FILE = 0o100000;
/** Extra fields that change what an entry is: zip64 sizes, and Info-ZIP's Unicode path (another name). */
const REFUSED_EXTRA_FIELDS = new Set([0x0001, 0x7075]);

/** An extra-field area must be whole records, none of them one that renames or resizes the entry. */
function checkExtraFields(data: Buffer, start: number, length: number): void {
  let at = start;
  const end = start + length;
  while (at < end) {
    if (at + 4 > end) throw hostile('The zip has a damaged extra field.');
    const id = data.readUInt16LE(at);
    at += 4 + data.readUInt16LE(at + 2);
    if (REFUSED_EXTRA_FIELDS.has(id))
      throw badInput('BACKUP_HOSTILE_ENTRY', 'The zip gives an entry a second name or size in an extra field (a trick used to show other tools other files); it was not made by certificatemanager. Use another backup.');
  }
  if (at !== end) throw hostile('The zip has a damaged extra field.');
}

/**
 * The data descriptor after an entry written with flag bit 3 (sizes after the data, as archiver
 * wrote them): 16 bytes, signed, repeating the directory's CRC-32 and sizes. The unsigned
 * 12-byte form is refused: a streaming reader cannot tell where such an entry ends, and one
 * whose CRC happens to be the signature reads as the other form.
 */
function checkDescriptor(data: Buffer, at: number, limit: number, entry: ZipEntry): void {
  const ok =
    at + DESCRIPTOR_SIZE <= limit &&
    data.readUInt32LE(at) === DESCRIPTOR_SIGNATURE &&
    data.readUInt32LE(at + 4) === entry.crc32 &&
    data.readUInt32LE(at + 8) === entry.compressedSize &&
    data.readUInt32LE(at + 12) === entry.uncompressedSize;
  if (!ok) throw hostile(`The zip is damaged (the sizes after ${shown(entry.name)} disagree with its directory).`);
}

/**
 * Walks a zip's structure and returns its entries, refusing anything a backup never is. The
 * file must be exactly: the entries' local records, one after the other from the first byte,
 * each as its directory entry describes it (same name, method, flags, CRC-32 and sizes), then
 * the directory, then the end record as the last 22 bytes. So no byte is left that another zip
 * tool could read as a different file: no comment or trailing bytes, no second end record or
 * directory, no record the directory does not list, no zip64, no spanning, no second name in
 * an extra field, at most `maxEntries` entries. Reads nothing but the headers.
 */
export function readZipDirectory(data: Buffer, maxEntries: number): ZipEntry[] {
  // The end record is the last thing in the file, followed only by an optional comment.
  let eocd = -1;
  for (let i = data.length - EOCD_SIZE; i >= Math.max(0, data.length - EOCD_SIZE - MAX_COMMENT); i--) {
    if (data.readUInt32LE(i) === EOCD_SIGNATURE && i + EOCD_SIZE + data.readUInt16LE(i + 20) === data.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw hostile('The zip is damaged or truncated (no end of central directory).');
  // Backups have no zip comment, so the end record must be the last 22 bytes. A decoy record
  // hidden in a comment is what some readers take (one declaring zip64 and four billion
  // entries made unzipper allocate until the process died): it must not be there either.
  if (eocd !== data.length - EOCD_SIZE) throw hostile('The zip has a comment after its directory, which backups never have; it is damaged or hostile.');
  if (data.indexOf(EOCD_SIGNATURE_BYTES, Math.max(0, data.length - END_RECORD_WINDOW)) !== eocd)
    throw hostile('The zip holds a second end-of-directory record; it is damaged or hostile.');
  if (eocd >= 20 && data.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIGNATURE) throw hostile('The zip uses the zip64 format, which backups never use; it is damaged or hostile.');
  const disk = data.readUInt16LE(eocd + 4);
  const directoryDisk = data.readUInt16LE(eocd + 6);
  const entriesOnDisk = data.readUInt16LE(eocd + 8);
  const entries = data.readUInt16LE(eocd + 10);
  const cdSize = data.readUInt32LE(eocd + 12);
  const cdOffset = data.readUInt32LE(eocd + 16);
  // The values that switch a reader to zip64 (as Go's reader tests them).
  if (disk === 0xffff || entries === 0xffff || cdOffset === 0xffffffff) throw hostile('The zip uses the zip64 format, which backups never use; it is damaged or hostile.');
  if (disk !== 0 || directoryDisk !== 0 || entriesOnDisk !== entries) throw hostile('The zip spans several disks; it is damaged or hostile.');
  if (entries > maxEntries) throw badInput('BACKUP_UNEXPECTED_ENTRIES', 'The zip holds far more entries than a backup has. Use another backup.');
  // Readers that trust cdSize over cdOffset (Info-ZIP, Python) would find another directory
  // in any gap between the two: the directory must end exactly where the end record starts.
  if (cdOffset + cdSize !== eocd) throw hostile('The zip is damaged or hostile (its directory does not end where its end record starts).');

  const directory: Array<{ fields: SharedFields; nameBytes: Buffer; localHeaderOffset: number }> = [];
  let at = cdOffset;
  for (let n = 0; n < entries; n++) {
    if (at + CENTRAL_HEADER_SIZE > eocd || data.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw hostile('The zip directory is damaged.');
    const madeBy = data.readUInt16LE(at + 4);
    const fields = readSharedFields(data, at + CENTRAL_SHARED_AT);
    const commentLength = data.readUInt16LE(at + 32);
    const diskStart = data.readUInt16LE(at + 34);
    const externalAttributes = data.readUInt32LE(at + 38);
    const localHeaderOffset = data.readUInt32LE(at + 42);
    const nameBytes = data.subarray(at + CENTRAL_HEADER_SIZE, at + CENTRAL_HEADER_SIZE + fields.nameLength);
    const extraStart = at + CENTRAL_HEADER_SIZE + fields.nameLength;
    at = extraStart + fields.extraLength + commentLength;
    if (at > eocd) throw hostile('The zip directory is damaged.');
    checkExtraFields(data, extraStart, fields.extraLength);
    // What some tools would do differently with the entry: need a newer unzip (Python refuses
    // the whole archive), read it as patched or strongly encrypted data, make it a link or a
    // folder, keep free text beside it. Backups have none of these.
    if (fields.versionNeeded > VERSION_NEEDED || fields.flags & ~ALLOWED_FLAGS || diskStart !== 0 || commentLength !== 0)
      throw hostile('The zip has an entry no backup has (an unusual version, flag, disk or comment).');
    const unixType = (externalAttributes >>> 16) & UNIX_FILE_TYPE;
    if (madeBy >> 8 === 3 && unixType !== 0 && unixType !== UNIX_REGULAR_FILE)
      throw badInput('BACKUP_HOSTILE_ENTRY', 'The zip marks an entry as a link or a folder, which backups never hold; it was not made by certificatemanager. Use another backup.');
    directory.push({ fields, nameBytes, localHeaderOffset });
  }
  if (at !== eocd) throw hostile('The zip directory holds more than its entries; it is damaged or hostile.');

  // The local records tile the file from byte 0 to the directory, in the directory's order.
  const result: ZipEntry[] = [];
  let next = 0;
  for (const { fields, nameBytes, localHeaderOffset: local } of directory) {
    const name = nameBytes.toString('utf8');
    if (local !== next) throw hostile(`The zip holds data its directory does not list, or its entries overlap (at ${shown(name)}); it is damaged or hostile.`);
    if (local + LOCAL_HEADER_SIZE > cdOffset || data.readUInt32LE(local) !== LOCAL_SIGNATURE) throw hostile('The zip is damaged (an entry points to no data).');
    const own = readSharedFields(data, local + LOCAL_SHARED_AT);
    const localName = data.subarray(local + LOCAL_HEADER_SIZE, local + LOCAL_HEADER_SIZE + own.nameLength);
    if (!localName.equals(nameBytes))
      throw badInput('BACKUP_HOSTILE_ENTRY', 'The zip contains an entry whose names disagree (a trick used to smuggle dangerous paths); it was not made by certificatemanager. Use another backup.');
    // Without flag bit 3 the local header repeats the directory's CRC and sizes. With it, each
    // may be zero there instead, the real values following the data: archiver wrote all three
    // as zero, Info-ZIP's `zip` writing to a pipe keeps the uncompressed size it knew.
    const descriptor = (fields.flags & FLAG_DESCRIPTOR) !== 0;
    const agrees = (key: 'crc32' | 'compressedSize' | 'uncompressedSize') => own[key] === fields[key] || (descriptor && own[key] === 0);
    if (own.flags !== fields.flags || own.method !== fields.method || own.versionNeeded > VERSION_NEEDED || !agrees('crc32') || !agrees('compressedSize') || !agrees('uncompressedSize'))
      throw hostile(`The zip is damaged (the two headers of ${shown(name)} disagree).`);
    const extraStart = local + LOCAL_HEADER_SIZE + own.nameLength;
    if (extraStart + own.extraLength > cdOffset) throw hostile('The zip is damaged or truncated.');
    checkExtraFields(data, extraStart, own.extraLength);
    const entry: ZipEntry = { name, flags: fields.flags, method: fields.method, crc32: fields.crc32, compressedSize: fields.compressedSize, uncompressedSize: fields.uncompressedSize, dataOffset: extraStart + own.extraLength };
    const dataEnd = entry.dataOffset + entry.compressedSize;
    if (dataEnd > cdOffset) throw hostile('The zip is damaged or truncated (an entry runs past its data).');
    // A streaming reader (unzipper.Parse, Java's ZipInputStream) finds the end of such an entry
    // by the first descriptor signature in its bytes: there must be none before the real one,
    // and the entry must be deflated (a stored one has no end of its own).
    if (descriptor && (entry.method !== DEFLATED || data.subarray(entry.dataOffset, dataEnd).includes(DESCRIPTOR_SIGNATURE_BYTES)))
      throw hostile(`The zip is damaged or hostile (${shown(name)} could be read as another entry by other tools).`);
    if (descriptor) checkDescriptor(data, dataEnd, cdOffset, entry);
    next = descriptor ? dataEnd + DESCRIPTOR_SIZE : dataEnd;
    result.push(entry);
  }
  if (next !== cdOffset) throw hostile('The zip holds data its directory does not list; it is damaged or hostile.');
  return result;
}

/** Is the entry encrypted (with the zip's own, weak, encryption)? */
export const isEncrypted = (entry: ZipEntry): boolean => (entry.flags & FLAG_ENCRYPTED) !== 0;

/**
 * The bytes of an entry found by readZipDirectory (stored or deflated; the caller has refused
 * other methods and encryption), never more than `limit` bytes however much the data would
 * inflate to, and checked against the size and CRC-32 the directory declares.
 */
export function readZipEntry(data: Buffer, entry: ZipEntry, limit: number): Buffer {
  const body = data.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  let bytes: Buffer;
  if (entry.method === STORED) bytes = body;
  else {
    let consumed: number;
    try {
      const inflated = inflateRawSync(body, { maxOutputLength: limit, info: true }) as unknown as { buffer: Buffer; engine: { bytesWritten: number } };
      bytes = inflated.buffer;
      consumed = inflated.engine.bytesWritten;
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
        throw badInput('BACKUP_ZIP_BOMB', `The entry ${shown(entry.name)} inflates past its size limit; the file is damaged or hostile. Use another backup.`, {}, cause);
      throw badInput('BACKUP_DAMAGED', `The entry ${shown(entry.name)} cannot be read; the zip is damaged. Use another backup.`, {}, cause);
    }
    // Bytes after the end of the deflate stream are invisible to this reader but not to one
    // that scans local headers: there must be none.
    if (consumed !== body.length) throw hostile(`The entry ${shown(entry.name)} has data after its end; it is damaged or hostile.`);
  }
  if (bytes.length > limit)
    throw badInput('BACKUP_ZIP_BOMB', `The entry ${shown(entry.name)} is larger than its size limit; the file is damaged or hostile. Use another backup.`);
  if (bytes.length !== entry.uncompressedSize || crc32(bytes) !== entry.crc32)
    throw badInput('BACKUP_DAMAGED', `The entry ${shown(entry.name)} does not match its size or checksum; the zip is damaged. Use another backup.`);
  return Buffer.from(bytes); // a copy: the entry must not keep the whole file alive, nor change with it
}
