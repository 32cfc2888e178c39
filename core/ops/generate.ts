/** 「新しい証明書を生成する」 / "Generate a new certificate": the first certificate of a store. */
import type { StoreStatus } from '../schemas.js';
import { wrongState } from '../errors.js';
import { DEFAULT_KEY_SIZE, type KeySize } from '../pki/keys.js';
import { createSelfSignedCertificate, DEFAULT_VALIDITY_DAYS } from '../pki/certificate.js';
import { withStoreLock } from '../store/lock.js';
import { commitStore, readStore, type StoreState } from '../store/store.js';
import { auditRefusals, currentFingerprint, prepareCommitAudit } from './audit-trail.js';
import { assertNewPassword, newPrivateKeyFor, nowOf, reporter, type OperationContext } from './context.js';
import { buildBackup, publishAutomaticBackup, tidyAutomaticBackups, withoutBackup, writeAutomaticBackup } from './backup-of-store.js';
import { startBackupProtection } from './backup-protection.js';
import { getStatus } from './status.js';
import { checkGeneration } from './validate-generation.js';

export interface GenerateRequest {
  password: string;
  /** The server's name: the certificate's subject common name and its DNS subjectAltName (`--subject`). */
  subject?: string;
  keySize?: KeySize;
  validityDays?: number;
}

export async function generateCertificate(context: OperationContext, request: GenerateRequest): Promise<{ status: StoreStatus; backupPath: string }> {
  const report = reporter(context, 'generate');
  const { dataDir } = context;
  const work = () => withStoreLock(dataDir, async (guard) => {
    report('checking', 0);
    if (await readStore(dataDir))
      throw wrongState('CERTIFICATE_EXISTS', 'A server authentication certificate exists already. Use -c <new password> to renew it, or -r to restore a backup over it.');
    assertNewPassword(request.password);
    await tidyAutomaticBackups(dataDir, null);
    const now = nowOf(context);
    // The backup's keys depend only on the password: derive them while the RSA key is made.
    const protection = startBackupProtection(request.password, context.iterations);
    report('generating-key', 0.05);
    const privateKey = await newPrivateKeyFor(context, request.keySize ?? DEFAULT_KEY_SIZE);
    report('signing-certificate', 0.45);
    const certificateDer = createSelfSignedCertificate({ privateKey, commonName: request.subject, validityDays: request.validityDays ?? DEFAULT_VALIDITY_DAYS, now });
    const state: StoreState = {
      formatVersion: 1,
      current: { certificateDer: certificateDer.toString('base64'), exportable: true, version: 1, installedAt: now.toISOString(), source: 'generated' },
      replaced: [],
      rotations: [],
    };
    report('protecting-key', 0.5);
    const backup = await buildBackup({ privateKey, state }, protection, { now });
    report('writing', 0.9);
    // The backup is on disk before the certificate is: there is never a key without one.
    const pendingBackup = await writeAutomaticBackup(dataDir, backup.zip, backup.fingerprintSha256, now, 'generated');
    const checkedGeneration = await checkGeneration(state, privateKey, now).catch(withoutBackup(pendingBackup));
    const audit = await prepareCommitAudit(context, { operation: 'generate', fingerprintAfter: backup.fingerprintSha256, details: { keySize: request.keySize ?? DEFAULT_KEY_SIZE } });
    await commitStore(dataDir, null, checkedGeneration, guard, audit.record).catch(withoutBackup(pendingBackup));
    const backupPath = await publishAutomaticBackup(pendingBackup);
    await audit.appendAfterCommit();
    report('done', 1);
    return { status: await getStatus(dataDir), backupPath };
  });
  return auditRefusals(context, 'generate', work, () => currentFingerprint(dataDir));
}
