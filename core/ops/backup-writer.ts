/** Turns the store's current key and certificate into a backup zip (shared by -b, -g and -c). */
import type { KeyObject } from 'node:crypto';
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { encodePkcs12 } from '../pki/pkcs12/index.js';
import { describeCertificate, friendlyNameFor } from '../pki/inspect.js';
import { buildBackupZip } from '../backup/write.js';
import type { History } from '../backup/format.js';
import type { StoreState } from '../store/store.js';
import { storePaths } from '../store/store.js';
import { replaceFileAtomically } from '../store/durable-fs.js';

export interface BackupMaterial {
  privateKey: KeyObject;
  state: StoreState;
}

export async function buildBackup(material: BackupMaterial, password: string, options: { iterations?: number; now: Date }): Promise<{ zip: Buffer; fingerprintSha256: string }> {
  const certificateDer = Buffer.from(material.state.current.certificateDer, 'base64');
  const info = describeCertificate(certificateDer);
  const chain = (material.state.current.chainDer ?? []).map((b64) => Buffer.from(b64, 'base64'));
  const pkcs12 = await encodePkcs12(
    { privateKey: material.privateKey, certificate: certificateDer, chain, friendlyName: friendlyNameFor(info.subject) },
    password,
    options.iterations ? { iterations: options.iterations } : {},
  );
  const history: History = { replaced: material.state.replaced, rotations: material.state.rotations, currentVersion: material.state.current.version };
  const zip = await buildBackupZip({ pkcs12, certificateDer, history, fingerprintSha256: info.fingerprintSha256, subject: info.subject, notAfter: info.notAfter, createdAt: options.now });
  return { zip, fingerprintSha256: info.fingerprintSha256 };
}

/** The automatic backup kept in the data folder after generate and renew. */
export async function writeAutomaticBackup(dataDir: string, zip: Buffer, fingerprintSha256: string, now: Date, reason: 'generated' | 'renewed'): Promise<string> {
  const folder = storePaths(dataDir).backups;
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  const path = join(folder, `${stamp}-${reason}-${fingerprintSha256.slice(0, 16)}.zip`);
  await replaceFileAtomically(path, zip, 0o600);
  return path;
}

/**
 * For a commit that failed after the automatic backup was written: that backup holds a key
 * that was never installed, and left behind it would be the newest "renewed" backup in the
 * folder. Removes it, then rethrows the commit's error.
 */
export function withoutBackup(backupPath: string): (error: unknown) => Promise<never> {
  return async (error) => {
    await rm(backupPath, { force: true }).catch(() => undefined);
    throw error;
  };
}
