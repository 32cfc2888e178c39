/**
 * Reads what `restore` and `verify-backup` are given: a backup zip made by `-b`, or a bare
 * PKCS#12 (.pfx/.p12) from OpenSSL or Windows. Nothing is ever extracted to disk: the known
 * entries are read into memory, each under its size cap, after the names were checked against
 * an allow-list. Every problem becomes a one-line CertManagerError (kind bad-input or
 * wrong-password); nothing here writes anything.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { badInput, CertManagerError } from '../errors.js';
import { decodePkcs12 } from '../pki/pkcs12/index.js';
import { assertUsableCertificate, describeCertificate, fingerprintSha256 } from '../pki/inspect.js';
import { DEFLATED, isEncrypted, readZipDirectory, readZipEntry, STORED } from './zip.js';
import { ENTRY_LIMITS, ENTRY_NAMES, HistorySchema, ManifestSchema, MAX_BACKUP_FILE_BYTES, type EntryName, type History, type Manifest } from './format.js';

type BackupFile =
  | { format: 'backup-zip'; manifest: Manifest; pkcs12: Buffer; certificateDer: Buffer; history: History }
  | { format: 'pkcs12'; pkcs12: Buffer };

export interface OpenedBackup {
  format: BackupFile['format'];
  privateKey: KeyObject;
  certificateDer: Buffer;
  /** The CA certificates that came with it (issuer first; empty for a self-signed one). */
  chain: Buffer[];
  history: History | null;
  createdAt: string | null;
}

const damaged = (code: string, message: string, cause?: unknown) => badInput(code, message, {}, cause);
const NOT_A_BACKUP = 'Choose a backup .zip made by certificatemanager -b, or a .pfx/.p12 file.';

export async function readBackupFile(path: string): Promise<BackupFile> {
  const info = await stat(path).catch((cause: NodeJS.ErrnoException) => {
    throw damaged('BACKUP_UNREADABLE', `Cannot read ${path} (${cause.code ?? 'error'}). Check the path. ${NOT_A_BACKUP}`, cause);
  });
  if (!info.isFile()) throw damaged('BACKUP_UNREADABLE', `${path} is not a file. ${NOT_A_BACKUP}`);
  if (info.size === 0) throw damaged('BACKUP_EMPTY', `${path} is empty. ${NOT_A_BACKUP}`);
  if (info.size > MAX_BACKUP_FILE_BYTES) throw damaged('BACKUP_TOO_LARGE', `${path} is far larger than a certificate backup. ${NOT_A_BACKUP}`);
  const data = await readFile(path);
  return parseBackupBytes(data);
}

export async function parseBackupBytes(data: Buffer): Promise<BackupFile> {
  if (data.length === 0) throw damaged('BACKUP_EMPTY', `The file is empty. ${NOT_A_BACKUP}`);
  if (data.length > MAX_BACKUP_FILE_BYTES) throw damaged('BACKUP_TOO_LARGE', `The file is far larger than a certificate backup. ${NOT_A_BACKUP}`);
  if (data[0] === 0x50 && data[1] === 0x4b) return readZip(data);
  if (data[0] === 0x30) return { format: 'pkcs12', pkcs12: data };
  throw damaged('BACKUP_NOT_RECOGNIZED', `The file is neither a backup zip nor a PKCS#12 file. ${NOT_A_BACKUP}`);
}

/** A zip entry name that could point outside a folder, or is not plain. */
function isHostileName(name: string): boolean {
  return name.includes('..') || name.includes('\\') || name.startsWith('/') || /^[a-zA-Z]:/.test(name) || name.includes('\0') || name.includes('/');
}

async function readZip(data: Buffer): Promise<BackupFile> {
  const files = readZipDirectory(data, 16);
  const seen = new Set<string>();
  for (const file of files) {
    if (isHostileName(file.name)) throw damaged('BACKUP_HOSTILE_ENTRY', `The zip contains an entry with a dangerous name (${JSON.stringify(file.name).slice(0, 80)}); it was not made by certificatemanager. Use another backup.`);
    if (seen.has(file.name.toLowerCase())) throw damaged('BACKUP_DUPLICATE_ENTRY', `The zip contains ${JSON.stringify(file.name).slice(0, 80)} twice; it is damaged or hostile. Use another backup.`);
    seen.add(file.name.toLowerCase());
    if (!(ENTRY_NAMES as string[]).includes(file.name)) throw damaged('BACKUP_UNEXPECTED_ENTRIES', `The zip contains an unexpected entry (${JSON.stringify(file.name).slice(0, 80)}); it was not made by certificatemanager. Use another backup.`);
    if (isEncrypted(file)) throw damaged('BACKUP_ZIP_ENCRYPTED', 'The zip itself is encrypted; backups keep their password inside the PKCS#12 instead. Use a backup made by certificatemanager -b.');
    if (file.method !== STORED && file.method !== DEFLATED) throw damaged('BACKUP_DAMAGED', `The entry ${file.name} uses an unsupported compression method. Use another backup.`);
    if (file.uncompressedSize > ENTRY_LIMITS[file.name as EntryName]) throw damaged('BACKUP_ZIP_BOMB', `The entry ${file.name} declares a size far beyond what a backup needs; the file is damaged or hostile. Use another backup.`);
  }
  const entries = new Map<EntryName, Buffer>();
  for (const file of files) entries.set(file.name as EntryName, readZipEntry(data, file, ENTRY_LIMITS[file.name as EntryName]));

  const manifestBytes = entries.get('manifest.json');
  if (!manifestBytes) throw damaged('BACKUP_NO_MANIFEST', 'The zip has no manifest.json; it was not made by certificatemanager -b. Use another backup.');
  let manifest: Manifest;
  try {
    manifest = ManifestSchema.parse(JSON.parse(manifestBytes.toString('utf8')));
  } catch (cause) {
    throw damaged('BACKUP_BAD_MANIFEST', 'The backup manifest is damaged or of an unknown version. Use another backup, or a newer CertificateManager.', cause);
  }
  for (const name of ['certificate.p12', 'certificate.cer', 'history.json'] as const) {
    const bytes = entries.get(name);
    const expected = manifest.entries[name];
    if (!bytes || !expected) throw damaged('BACKUP_MISSING_ENTRY', `The backup lacks ${name}. Use another backup.`);
    if (bytes.length !== expected.size || createHash('sha256').update(bytes).digest('hex') !== expected.sha256)
      throw damaged('BACKUP_HASH_MISMATCH', `${name} does not match the backup's manifest; the backup was damaged or altered. Use another backup.`);
  }
  let history: History;
  try {
    history = HistorySchema.parse(JSON.parse(entries.get('history.json')!.toString('utf8')));
  } catch (cause) {
    throw damaged('BACKUP_BAD_HISTORY', 'The backup history is damaged. Use another backup.', cause);
  }
  return { format: 'backup-zip', manifest, pkcs12: entries.get('certificate.p12')!, certificateDer: entries.get('certificate.cer')!, history };
}

/**
 * Opens a backup completely with its password and checks everything a restore relies on.
 * Changes nothing.
 */
export async function openBackup(file: BackupFile, password: string, now = new Date()): Promise<OpenedBackup> {
  // The history's checker (the trust code and jose: 25-45 ms to load in a fresh CLI process)
  // loads while the password is checked, instead of before: the PKCS#12 MAC and key derivations
  // leave this thread time to spare, and a restore or verify-backup is one process each.
  const history = file.format === 'backup-zip' ? import('./history.js') : undefined;
  history?.catch(() => undefined); // awaited below, unless the password is wrong first
  const contents = await decodePkcs12(file.pkcs12, password);
  if (file.format === 'backup-zip') {
    if (!contents.certificate.equals(file.certificateDer) || fingerprintSha256(contents.certificate) !== file.manifest.fingerprintSha256)
      throw damaged('BACKUP_INCONSISTENT', 'The certificate inside the protected part differs from the one the backup names; the backup was altered. Use another backup.');
    for (const replaced of file.history.replaced) {
      try {
        describeCertificate(Buffer.from(replaced.certificateDer, 'base64'));
      } catch (cause) {
        if (cause instanceof CertManagerError) throw damaged('BACKUP_BAD_HISTORY', 'A replaced certificate in the backup history is damaged. Use another backup.', cause);
        throw cause;
      }
    }
  }
  assertUsableCertificate(contents.certificate, { now, chain: contents.chain });
  if (file.format === 'backup-zip') await (await history!).verifyHistory(file.history, contents.certificate);
  return {
    format: file.format,
    privateKey: contents.privateKey,
    certificateDer: contents.certificate,
    chain: contents.chain,
    history: file.format === 'backup-zip' ? file.history : null,
    createdAt: file.format === 'backup-zip' ? file.manifest.createdAt : null,
  };
}
