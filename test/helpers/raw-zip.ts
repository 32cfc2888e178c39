/**
 * A deliberately naive zip writer for building hostile archives in tests: any entry name
 * (../x, C:\x, duplicates), any declared size, stored or deflated. Real zip libraries refuse
 * or clean such names, which is exactly why the tests need their own.
 */
import { deflateRawSync, crc32 as zlibCrc32 } from 'node:zlib';

export interface RawEntry {
  name: string;
  data: Buffer;
  deflate?: boolean;
  /** Lie about the uncompressed size in both headers. */
  declaredSize?: number;
  flags?: number;
  /** An extra-field area, written into both headers. */
  extra?: Buffer;
  /** Bytes after the entry's (deflated) data, counted in its compressed size. */
  trailing?: Buffer;
  /** Write the local record but leave it out of the central directory. */
  unlisted?: boolean;
  /**
   * Sizes after the data (flag bit 3), as archiver wrote them: 'signed' (16 bytes) or
   * 'unsigned' (12); the local header's CRC and sizes are zero unless `localSizes` is 'same'.
   */
  descriptor?: 'signed' | 'unsigned';
  localSizes?: 'same';
  versionNeeded?: number;
  /** A comment on this entry in the central directory. */
  comment?: Buffer;
  /** "Version made by" (3 << 8 is Unix) and the external attributes, for file modes. */
  madeBy?: number;
  externalAttributes?: number;
  diskStart?: number;
}

function crc32(data: Buffer): number {
  if (typeof zlibCrc32 === 'function') return zlibCrc32(data) >>> 0;
  let c = ~0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

export function rawZip(entries: RawEntry[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const body = Buffer.concat([e.deflate ? deflateRawSync(e.data) : e.data, e.trailing ?? Buffer.alloc(0)]);
    const extra = e.extra ?? Buffer.alloc(0);
    const method = e.deflate ? 8 : 0;
    const size = e.declaredSize ?? e.data.length;
    const crc = crc32(e.data);
    const flags = (e.flags ?? 0) | 0x800 | (e.descriptor ? 0x0008 : 0);
    const zeroLocal = !!e.descriptor && e.localSizes !== 'same';
    const comment = e.comment ?? Buffer.alloc(0);
    const descriptor = Buffer.alloc(e.descriptor === 'signed' ? 16 : e.descriptor === 'unsigned' ? 12 : 0);
    if (e.descriptor) {
      let at = 0;
      if (e.descriptor === 'signed') at = descriptor.writeUInt32LE(0x08074b50, 0);
      at = descriptor.writeUInt32LE(crc32(e.data), at);
      at = descriptor.writeUInt32LE((e.deflate ? deflateRawSync(e.data) : e.data).length + (e.trailing?.length ?? 0), at);
      descriptor.writeUInt32LE(e.declaredSize ?? e.data.length, at);
    }
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(e.versionNeeded ?? 20, 4);
    local.writeUInt16LE(flags, 6);
    local.writeUInt16LE(method, 8);
    local.writeUInt32LE(zeroLocal ? 0 : crc, 14);
    local.writeUInt32LE(zeroLocal ? 0 : body.length, 18);
    local.writeUInt32LE(zeroLocal ? 0 : size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(extra.length, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(e.madeBy ?? 20, 4);
    central.writeUInt16LE(e.versionNeeded ?? 20, 6);
    central.writeUInt16LE(flags, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(body.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt16LE(extra.length, 30);
    central.writeUInt16LE(comment.length, 32);
    central.writeUInt16LE(e.diskStart ?? 0, 34);
    central.writeUInt32LE(e.externalAttributes ?? 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, extra, body, descriptor);
    if (!e.unlisted) centrals.push(central, name, extra, comment);
    offset += local.length + name.length + extra.length + body.length + descriptor.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  const listed = entries.filter((e) => !e.unlisted).length;
  end.writeUInt16LE(listed, 8);
  end.writeUInt16LE(listed, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}
