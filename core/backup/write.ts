/**
 * Writes a backup zip: all entries are prepared in memory, the zip is written next to the
 * destination under a temporary name, flushed, and renamed into place, so an interrupted
 * backup never leaves a half zip where the admin expects a good one.
 */
import { createHash } from 'node:crypto';
import { access, constants } from 'node:fs/promises';
import { dirname } from 'node:path';
import { badInput } from '../errors.js';
import { resolveOutputFile } from '../store/output-file.js';
import { BACKUP_FORMAT, BACKUP_FORMAT_VERSION, type History, type Manifest } from './format.js';
import { writeZip } from './zip.js';

/**
 * A backup destination, checked before the key is read and the file built: a writable .zip file
 * name outside the store.
 */
export async function resolveBackupDestination(dataDir: string, path: string): Promise<string> {
  const target = await resolveOutputFile(dataDir, path, 'backup.zip');
  const folder = dirname(target);
  try {
    await access(folder, constants.W_OK);
  } catch {
    throw badInput('OUTPUT_FOLDER_READONLY', `The folder ${folder} cannot be written to. Choose another destination or run as an administrator.`, { folder });
  }
  if (!target.toLowerCase().endsWith('.zip'))
    throw badInput('OUTPUT_NOT_ZIP', 'The backup destination must be a .zip file, for example C:\\backup\\a.zip.');
  return target;
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

interface BackupContents {
  pkcs12: Buffer;
  certificateDer: Buffer;
  history: History;
  fingerprintSha256: string;
  subject: string;
  notAfter: string;
  createdAt?: Date;
}

export function buildBackupZip(contents: BackupContents): Buffer {
  const history = Buffer.from(JSON.stringify(contents.history, null, 2) + '\n');
  const files = { 'certificate.p12': contents.pkcs12, 'certificate.cer': contents.certificateDer, 'history.json': history };
  const createdAt = contents.createdAt ?? new Date();
  const manifest: Manifest = {
    format: BACKUP_FORMAT,
    formatVersion: BACKUP_FORMAT_VERSION,
    createdAt: createdAt.toISOString(),
    fingerprintSha256: contents.fingerprintSha256,
    subject: contents.subject,
    notAfter: contents.notAfter,
    exportable: true,
    entries: Object.fromEntries(Object.entries(files).map(([name, data]) => [name, { sha256: sha256(data), size: data.length }])) as Manifest['entries'],
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest, null, 2) + '\n');
  return writeZip([{ name: 'manifest.json', data: manifestBytes }, ...Object.entries(files).map(([name, data]) => ({ name, data }))], createdAt);
}
