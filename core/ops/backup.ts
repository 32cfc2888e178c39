/** `-b <password> <out.zip>`: back up the current certificate and key. */
import { wrongState } from '../errors.js';
import { resolveBackupDestination } from '../backup/write.js';
import { replaceFileAtomically } from '../store/durable-fs.js';
import { loadPrivateKey, requireCertificate } from '../store/store.js';
import { recordChange } from './audit-trail.js';
import { assertNewPassword, nowOf, reporter, type OperationContext } from './context.js';
import { buildBackup } from './backup-of-store.js';
import type { Pkcs12Protection } from '../pki/pkcs12/index.js';

/**
 * `protection`, when given, holds keys already being derived from `request.password`
 * (startBackupProtectionEarly: the CLI starts them while it loads this code).
 */
export async function backupCertificate(
  context: OperationContext,
  request: { password: string; outPath: string },
  protection?: Pkcs12Protection,
): Promise<{ path: string; fingerprintSha256: string }> {
  const report = reporter(context, 'backup');
  report('checking', 0);
  const snapshot = await requireCertificate(context.dataDir);
  if (!snapshot.state.current.exportable)
    throw wrongState('KEY_NOT_EXPORTABLE', 'The private key was restored as not exportable (-re), so it cannot be backed up. Back up from the original backup file instead.');
  const outPath = await resolveBackupDestination(context.dataDir, request.outPath);
  assertNewPassword(request.password);
  const privateKey = await loadPrivateKey(snapshot);
  report('protecting-key', 0.1);
  const { zip, fingerprintSha256 } = await buildBackup({ privateKey, state: snapshot.state }, protection ?? request.password, { iterations: context.iterations, now: nowOf(context) });
  report('writing', 0.9);
  await replaceFileAtomically(outPath, zip, 0o600);
  await recordChange(context, { operation: 'backup', fingerprintBefore: fingerprintSha256, fingerprintAfter: fingerprintSha256, details: { path: outPath } });
  report('done', 1);
  return { path: outPath, fingerprintSha256 };
}
