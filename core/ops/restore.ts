/**
 * `-r` / `-re` and the wizard's import: install a certificate from a backup zip or a PKCS#12.
 *
 * Everything is checked before the store is touched: the file's structure and manifest
 * hashes, the password, the key against the certificate, the certificate itself. Then one
 * transaction switches it in. The certificate it replaces is kept, and when the key changes a
 * rotation statement (signed by the old and the new key) lets agents follow.
 */
import type { StoreStatus } from '../api/schemas.js';
import { badInput, wrongState } from '../errors.js';
import { fingerprintSha256 } from '../pki/inspect.js';
import { privateKeyToPem } from '../pki/keys.js';
import { openBackup, readBackupFile } from '../backup/read.js';
import { withStoreLock } from '../store/lock.js';
import { appendAudit, commitStore, ensureDataDir, loadPrivateKey, readStore, type StoreState } from '../store/store.js';
import { nowOf, reporter, type OperationContext } from './context.js';
import { rotationStatementFor } from './rotation-hook.js';
import { getStatus } from './status.js';

export interface RestoreRequest {
  path: string;
  password: string;
  /** false for -re: later backups of this key are refused. */
  exportable: boolean;
  /** The wizard's import: refuse when a certificate exists. */
  requireEmptyStore?: boolean;
  /** The UI confirmed this fingerprint; refuse if the file changed since. */
  expectedFingerprintSha256?: string;
}

export async function restoreCertificate(context: OperationContext, request: RestoreRequest): Promise<StoreStatus> {
  const report = reporter(context, request.requireEmptyStore ? 'import' : 'restore');
  const { dataDir } = context;
  await ensureDataDir(dataDir);
  return withStoreLock(dataDir, async () => {
    report('checking', 0);
    const base = await readStore(dataDir);
    if (base && request.requireEmptyStore)
      throw wrongState('CERTIFICATE_EXISTS', 'A server authentication certificate exists already. Use Restore to replace it.');
    report('reading-backup', 0.05);
    const file = await readBackupFile(request.path);
    report('checking-password', 0.1);
    const now = nowOf(context);
    const opened = await openBackup(file, request.password, now);
    const incoming = fingerprintSha256(opened.certificateDer);
    if (request.expectedFingerprintSha256 && request.expectedFingerprintSha256 !== incoming)
      throw badInput('BACKUP_CHANGED', 'The backup file changed after it was checked. Check it again before restoring.');

    const history = opened.history;
    const byFingerprint = new Map<string, StoreState['replaced'][number]>();
    const remember = (entry: StoreState['replaced'][number]) => {
      const fp = fingerprintSha256(Buffer.from(entry.certificateDer, 'base64'));
      if (fp !== incoming && !byFingerprint.has(fp)) byFingerprint.set(fp, entry);
    };
    if (base) base.state.replaced.forEach(remember);
    history?.replaced.forEach(remember);

    const currentFingerprint = base ? fingerprintSha256(Buffer.from(base.state.current.certificateDer, 'base64')) : null;
    const wasReplaced = base?.state.replaced.some((r) => fingerprintSha256(Buffer.from(r.certificateDer, 'base64')) === incoming);
    if (wasReplaced)
      throw badInput('RESTORE_ROLLBACK', 'This certificate was replaced earlier; agents have moved on and would refuse it. Restore a newer backup, or renew with -c.');

    let state: StoreState;
    const installed = { exportable: request.exportable, installedAt: now.toISOString(), source: 'restored' as const };
    if (!base) {
      // A fresh server: take the backup's history as it is.
      state = {
        formatVersion: 1,
        current: { certificateDer: opened.certificateDer.toString('base64'), version: history?.currentVersion ?? 1, ...installed },
        replaced: [...byFingerprint.values()],
        rotations: history?.rotations ?? [],
      };
    } else if (currentFingerprint === incoming) {
      // The same certificate again (e.g. to change exportability): same version, same chain.
      state = { ...base.state, current: { ...base.state.current, ...installed } };
    } else {
      report('publishing-rotation', 0.6);
      const version = Math.max(base.state.current.version, history?.currentVersion ?? 0) + 1;
      const statement = await rotationStatementFor(
        { privateKey: await loadPrivateKey(base), certificateDer: Buffer.from(base.state.current.certificateDer, 'base64'), version: base.state.current.version },
        { privateKey: opened.privateKey, certificateDer: opened.certificateDer, version },
        now,
      );
      byFingerprint.set(currentFingerprint!, { certificateDer: base.state.current.certificateDer, version: base.state.current.version, replacedAt: now.toISOString() });
      state = {
        formatVersion: 1,
        current: { certificateDer: opened.certificateDer.toString('base64'), version, ...installed },
        replaced: [...byFingerprint.values()].sort((a, b) => a.version - b.version),
        rotations: [...base.state.rotations, statement],
      };
    }
    report('writing', 0.9);
    await commitStore(dataDir, base, { state, privateKeyPem: privateKeyToPem(opened.privateKey) });
    await appendAudit(dataDir, { action: request.exportable ? 'restore' : 'restore-not-exportable', fingerprintSha256: incoming, from: request.path, format: opened.format });
    report('done', 1);
    return getStatus(dataDir);
  });
}
