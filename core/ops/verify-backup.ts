/** `verify-backup` and the wizard's preview: open a backup completely, change nothing. */
import type { BackupInspection } from '../schemas.js';
import { openBackup, readBackupFile } from '../backup/read.js';
import { describeCertificate } from '../pki/inspect.js';
import { readStore } from '../store/store.js';
import { nowOf, reporter, type OperationContext } from './context.js';

export async function verifyBackup(context: OperationContext, request: { path: string; password: string }): Promise<BackupInspection> {
  const report = reporter(context, 'verify-backup');
  report('reading-backup', 0);
  const file = await readBackupFile(request.path);
  report('checking-password', 0.1);
  const opened = await openBackup(file, request.password, nowOf(context));
  const certificate = describeCertificate(opened.certificateDer);
  const current = await readStore(context.dataDir).catch(() => null);
  report('done', 1);
  return {
    format: opened.format,
    certificate,
    replacedCount: opened.history?.replaced.length ?? 0,
    createdAt: opened.createdAt,
    sameAsCurrent: current ? current.state.current.certificateDer === opened.certificateDer.toString('base64') : false,
  };
}
