/**
 * A structural check of a zip's directory before unzipper sees it. unzipper trusts the
 * end-of-central-directory record (a 300-byte file declaring four billion entries makes it
 * loop or exhaust memory) and only reads the central directory's names (a local header may
 * carry another, hostile name that other zip tools would use). So: find the end record, refuse
 * zip64 and more entries than a backup has, and require every local header to exist and to
 * carry exactly the name its central directory entry carries.
 */
import { badInput } from '../errors.js';

const EOCD_SIGNATURE = 0x06054b50;
const ZIP64_LOCATOR_SIGNATURE = 0x07064b50;
const CENTRAL_SIGNATURE = 0x02014b50;
const LOCAL_SIGNATURE = 0x04034b50;
const EOCD_SIGNATURE_BYTES = Buffer.from([0x50, 0x4b, 0x05, 0x06]);
const EOCD_SIZE = 22;
/** How far from the end unzipper (lib/Open/directory.js, tailSize) looks for the end record. */
const UNZIPPER_TAIL = 80;
const MAX_COMMENT = 0xffff;

const hostile = (message: string) => badInput('BACKUP_DAMAGED', `${message} Use another backup.`);

interface CentralEntry {
  name: string;
  localHeaderOffset: number;
}

export function precheckZip(data: Buffer, maxEntries: number): CentralEntry[] {
  // The end record is the last thing in the file, followed only by an optional comment.
  let eocd = -1;
  for (let i = data.length - EOCD_SIZE; i >= Math.max(0, data.length - EOCD_SIZE - MAX_COMMENT); i--) {
    if (data.readUInt32LE(i) === EOCD_SIGNATURE && i + EOCD_SIZE + data.readUInt16LE(i + 20) === data.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw hostile('The zip is damaged or truncated (no end of central directory).');
  // unzipper finds its end record differently: the FIRST signature within the last 80 bytes. A
  // decoy record hidden in a comment would be the one it reads (one declaring zip64 and four
  // billion entries made it allocate until the process died). Backups have no zip comment, so
  // the end record must be the last 22 bytes and the only signature unzipper can see.
  if (eocd !== data.length - EOCD_SIZE) throw hostile('The zip has a comment after its directory, which backups never have; it is damaged or hostile.');
  if (data.indexOf(EOCD_SIGNATURE_BYTES, Math.max(0, data.length - UNZIPPER_TAIL)) !== eocd)
    throw hostile('The zip holds a second end-of-directory record; it is damaged or hostile.');
  if (eocd >= 20 && data.readUInt32LE(eocd - 20) === ZIP64_LOCATOR_SIGNATURE) throw hostile('The zip uses the zip64 format, which backups never use; it is damaged or hostile.');
  const disk = data.readUInt16LE(eocd + 4);
  const entriesOnDisk = data.readUInt16LE(eocd + 8);
  const entries = data.readUInt16LE(eocd + 10);
  const cdSize = data.readUInt32LE(eocd + 12);
  const cdOffset = data.readUInt32LE(eocd + 16);
  // The values that switch a reader to zip64 (unzipper tests these, like Go's reader).
  if (disk === 0xffff || entries === 0xffff || cdOffset === 0xffffffff) throw hostile('The zip uses the zip64 format, which backups never use; it is damaged or hostile.');
  if (disk !== 0 || entriesOnDisk !== entries) throw hostile('The zip spans several disks; it is damaged or hostile.');
  if (entries > maxEntries) throw badInput('BACKUP_UNEXPECTED_ENTRIES', 'The zip holds far more entries than a backup has. Use another backup.');
  if (cdOffset + cdSize > eocd) throw hostile('The zip is damaged or truncated (its directory points outside the file).');

  const result: CentralEntry[] = [];
  let at = cdOffset;
  for (let n = 0; n < entries; n++) {
    if (at + 46 > eocd || data.readUInt32LE(at) !== CENTRAL_SIGNATURE) throw hostile('The zip directory is damaged.');
    const nameLength = data.readUInt16LE(at + 28);
    const extraLength = data.readUInt16LE(at + 30);
    const commentLength = data.readUInt16LE(at + 32);
    const localHeaderOffset = data.readUInt32LE(at + 42);
    const nameBytes = data.subarray(at + 46, at + 46 + nameLength);
    at += 46 + nameLength + extraLength + commentLength;
    if (at > eocd) throw hostile('The zip directory is damaged.');
    if (localHeaderOffset + 30 > cdOffset || data.readUInt32LE(localHeaderOffset) !== LOCAL_SIGNATURE) throw hostile('The zip is damaged (an entry points to no data).');
    const localNameLength = data.readUInt16LE(localHeaderOffset + 26);
    const localName = data.subarray(localHeaderOffset + 30, localHeaderOffset + 30 + localNameLength);
    if (!localName.equals(nameBytes))
      throw badInput('BACKUP_HOSTILE_ENTRY', 'The zip contains an entry whose names disagree (a trick used to smuggle dangerous paths); it was not made by certificatemanager. Use another backup.');
    result.push({ name: nameBytes.toString('utf8'), localHeaderOffset });
  }
  return result;
}
