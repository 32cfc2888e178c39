/**
 * `-c <new password>`: renew. A new key and certificate replace the current ones; the new
 * password protects an automatic backup of them in the data folder; the replaced certificate
 * is kept; a rotation statement signed by both keys lets every agent follow.
 */
import type { StoreStatus } from '../schemas.js';
import { DEFAULT_KEY_SIZE, type KeySize } from '../pki/keys.js';
import { commonNameOf, createSelfSignedCertificate, DEFAULT_VALIDITY_DAYS } from '../pki/certificate.js';
import { fingerprintSha256, readStoredCertificate } from '../pki/inspect.js';
import { withStoreLock } from '../store/lock.js';
import { commitStore, loadPrivateKey, requireCertificate, type StoreState } from '../store/store.js';
import { assertNewPassword, newPrivateKeyFor, nowOf, reporter, type OperationContext } from './context.js';
import { buildBackup, publishAutomaticBackup, tidyAutomaticBackups, withoutBackup, writeAutomaticBackup } from './backup-of-store.js';
import { startBackupProtection } from './backup-protection.js';
import { rotationStatementFor } from './rotation-statement.js';
import { getStatus } from './status.js';
import { auditRefusals, currentFingerprint, prepareCommitAudit } from './audit-trail.js';
import { checkGeneration } from './validate-generation.js';

export interface RenewRequest {
  password: string;
  keySize?: KeySize;
  validityDays?: number;
}

export async function renewCertificate(context: OperationContext, request: RenewRequest): Promise<{ status: StoreStatus; backupPath: string }> {
  const report = reporter(context, 'renew');
  const { dataDir } = context;
  // Checked before the lock too, so a store with no certificate (or no folder yet) is reported
  // as such instead of being created by the lock.
  await requireCertificate(dataDir);
  const work = () => withStoreLock(dataDir, async (guard) => {
    report('checking', 0);
    const base = await requireCertificate(dataDir);
    assertNewPassword(request.password);
    const oldDer = Buffer.from(base.state.current.certificateDer, 'base64');
    await tidyAutomaticBackups(dataDir, fingerprintSha256(oldDer));
    const now = nowOf(context);
    const oldCert = readStoredCertificate(oldDer);
    const commonName = commonNameOf(oldDer);
    const oldBits = oldCert.publicKey.asymmetricKeyDetails?.modulusLength ?? DEFAULT_KEY_SIZE;
    // The backup's keys depend only on the new password: derive them while the RSA key is made.
    const protection = startBackupProtection(request.password, context.iterations);
    report('generating-key', 0.05);
    const privateKey = await newPrivateKeyFor(context, request.keySize ?? (Math.max(oldBits, DEFAULT_KEY_SIZE) as KeySize));
    report('signing-certificate', 0.4);
    const certificateDer = createSelfSignedCertificate({ privateKey, commonName, validityDays: request.validityDays ?? DEFAULT_VALIDITY_DAYS, now });
    const version = base.state.current.version + 1;
    report('publishing-rotation', 0.45);
    const statement = await rotationStatementFor(
      { privateKey: await loadPrivateKey(base), certificateDer: oldDer, version: base.state.current.version },
      { privateKey, certificateDer, version },
      now,
    );
    const state: StoreState = {
      formatVersion: 1,
      current: { certificateDer: certificateDer.toString('base64'), exportable: true, version, installedAt: now.toISOString(), source: 'renewed' },
      replaced: [...base.state.replaced, { certificateDer: base.state.current.certificateDer, version: base.state.current.version, replacedAt: now.toISOString() }],
      rotations: [...base.state.rotations, statement],
    };
    report('protecting-key', 0.5);
    const backup = await buildBackup({ privateKey, state }, protection, { now });
    report('writing', 0.9);
    const pendingBackup = await writeAutomaticBackup(dataDir, backup.zip, backup.fingerprintSha256, now, 'renewed');
    const checkedGeneration = await checkGeneration(state, privateKey, now).catch(withoutBackup(pendingBackup));
    const audit = await prepareCommitAudit(context, { operation: 'renew', fingerprintBefore: fingerprintSha256(oldDer), fingerprintAfter: backup.fingerprintSha256, details: { version } });
    await commitStore(dataDir, base, checkedGeneration, guard, audit.record).catch(withoutBackup(pendingBackup));
    const backupPath = await publishAutomaticBackup(pendingBackup);
    await audit.appendAfterCommit();
    report('done', 1);
    return { status: await getStatus(dataDir), backupPath };
  });
  return auditRefusals(context, 'renew', work, () => currentFingerprint(dataDir));
}
