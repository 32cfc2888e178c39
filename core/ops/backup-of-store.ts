/** Turns the store's current key and certificate into a backup zip (shared by -b, -g and -c). */
import type { KeyObject } from 'node:crypto';
import { dirname, join } from 'node:path';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { encodePkcs12, type Pkcs12Input, type Pkcs12Protection } from '../pki/pkcs12/index.js';
import type { CertificateInfo } from '../schemas.js';
import { describeCertificate, friendlyNameFor } from '../pki/inspect.js';
import { buildBackupZip } from '../backup/write.js';
import type { History } from '../backup/format.js';
import type { StoreState } from '../store/store.js';
import { storePaths } from '../store/store.js';
import { renameWithRetry, replaceFileAtomically, syncDirectory } from '../store/durable-fs.js';

interface BackupMaterial {
  privateKey: KeyObject;
  state: StoreState;
}

/**
 * What goes into any PKCS#12 made from the store (a backup, or export-pfx): the key, the
 * current certificate, the CA chain kept with it, and the friendly name from its subject.
 */
export function pkcs12InputOf(material: BackupMaterial): { input: Pkcs12Input; info: CertificateInfo } {
  const certificate = Buffer.from(material.state.current.certificateDer, 'base64');
  const info = describeCertificate(certificate);
  const chain = (material.state.current.chainDer ?? []).map((b64) => Buffer.from(b64, 'base64'));
  return { input: { privateKey: material.privateKey, certificate, chain, friendlyName: friendlyNameFor(info.subject) }, info };
}

/** The backup zip of `material`, protected by a password or by keys already being derived from one. */
export async function buildBackup(material: BackupMaterial, password: string | Pkcs12Protection, options: { iterations?: number; now: Date }): Promise<{ zip: Buffer; fingerprintSha256: string }> {
  const { input, info } = pkcs12InputOf(material);
  const certificateDer = input.certificate;
  const pkcs12 = await encodePkcs12(input, password, options.iterations ? { iterations: options.iterations } : {});
  const history: History = { replaced: material.state.replaced, rotations: material.state.rotations, currentVersion: material.state.current.version };
  const zip = buildBackupZip({ pkcs12, certificateDer, history, fingerprintSha256: info.fingerprintSha256, subject: info.subject, notAfter: info.notAfter, createdAt: options.now });
  return { zip, fingerprintSha256: info.fingerprintSha256 };
}

/**
 * The automatic backup kept in the data folder after generate and renew. It is written before
 * the commit (there is never a key without a backup) under a name that says it is not (yet)
 * the installed key: "<stamp>-renewed-<fp>.zip.uncommitted". Only after the commit does it get
 * its real name (publishAutomaticBackup). A kill in between leaves a file no admin can take for
 * the backup of the installed certificate; the next change sorts it out (tidyAutomaticBackups).
 */
const UNCOMMITTED = '.uncommitted';

export async function writeAutomaticBackup(dataDir: string, zip: Buffer, fingerprintSha256: string, now: Date, reason: 'generated' | 'renewed'): Promise<string> {
  const folder = storePaths(dataDir).backups;
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const path = join(folder, `${stamp}-${reason}-${fingerprintSha256.slice(0, 16)}.zip${UNCOMMITTED}`);
  await replaceFileAtomically(path, zip, 0o600);
  return path;
}

/**
 * After the commit: the backup gets its real name, which is returned. This runs past the
 * commit point, so it never fails the operation: if the rename fails, the pending name is
 * returned and the next change renames it.
 */
export async function publishAutomaticBackup(pendingPath: string): Promise<string> {
  const final = pendingPath.slice(0, -UNCOMMITTED.length);
  try {
    await renameWithRetry(pendingPath, final);
  } catch {
    return pendingPath;
  }
  await syncDirectory(dirname(final)).catch(() => undefined);
  return final;
}

/**
 * Run by every writer under the lock, before it changes anything: an uncommitted backup of
 * the certificate that is installed (the kill came after the commit) gets its real name; any
 * other one holds a key that was never installed, and goes.
 */
export async function tidyAutomaticBackups(dataDir: string, currentFingerprintSha256: string | null): Promise<void> {
  const folder = storePaths(dataDir).backups;
  const names = await readdir(folder).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith(`.zip${UNCOMMITTED}`))) {
    const fp = /-([0-9a-f]{16})\.zip\.uncommitted$/.exec(name)?.[1];
    if (fp && currentFingerprintSha256?.startsWith(fp)) await publishAutomaticBackup(join(folder, name));
    else await rm(join(folder, name), { force: true });
  }
}

/**
 * For a commit that failed after the automatic backup was written: that backup holds a key
 * that was never installed. Removes it, then rethrows the commit's error.
 */
export function withoutBackup(backupPath: string): (error: unknown) => Promise<never> {
  return async (error) => {
    await rm(backupPath, { force: true }).catch(() => undefined);
    throw error;
  };
}
