/**
 * `-r` / `-re` and the wizard's import: install a certificate from a backup zip or a PKCS#12.
 *
 * Everything is checked before the store is touched: the file's structure and manifest
 * hashes, the password, the key against the certificate, the certificate itself, and a
 * backup's history as a signed rotation chain. Then one transaction switches it in.
 *
 * The store's history stays one chain v1 -> ... -> current that agents can walk:
 * - an empty (or damaged) store takes the backup's chain as it is (a bare PKCS#12 starts at v1);
 * - the same certificate again keeps the store's chain, unless the backup knows a longer chain
 *   to it that includes everything the store knew (a certificate first imported as a .pfx);
 * - a backup whose chain extends the store's (the current certificate is in it, renewed later
 *   elsewhere) fast-forwards to it;
 * - any other certificate becomes version current+1 through a new rotation statement signed
 *   by the replaced key and the restored one; the backup's own history is not merged, since it
 *   is another lineage that these agents never followed;
 * - a certificate this store already replaced is refused: agents never move back; so is a
 *   certificate for a key it retired (compared by SPKI), even one made anew for that key.
 */
import { X509Certificate, type KeyObject } from 'node:crypto';
import type { StoreStatus } from '../schemas.js';
import { badInput, CertManagerError, wrongState } from '../errors.js';
import { fingerprintSha256 } from '../pki/inspect.js';
import { spkiDer } from '../pki/keys.js';
import { openBackup, readBackupFile, type OpenedBackup } from '../backup/read.js';
import { chainFingerprints } from '../backup/history.js';
import { withStoreLock } from '../store/lock.js';
import { commitStore, loadPrivateKey, readStoreForRepair, type StoreSnapshot, type StoreState } from '../store/store.js';
import { nowOf, reporter, type OperationContext } from './context.js';
import { rotationStatementFor } from './rotation-statement.js';
import { getStatus } from './status.js';
import { checkGeneration } from './validate-generation.js';
import { auditRefusals, currentFingerprint, prepareCommitAudit } from './audit-trail.js';

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

const samePublicKey = (a: KeyObject, b: KeyObject) => spkiDer(a).equals(spkiDer(b));

/** The SPKI of a stored certificate (base64 DER); null if it no longer parses. */
function certificateSpki(certificateDer: string): Buffer | null {
  try {
    return spkiDer(new X509Certificate(Buffer.from(certificateDer, 'base64')).publicKey);
  } catch {
    return null;
  }
}

/**
 * True when `key` is the key of a certificate this store replaced (and not also the current
 * one). A retired key must never come back, not even inside a new certificate made for it
 * (`openssl req -x509 -key old.key`): it may have been stolen, and agents have rotated away.
 */
function isRetiredKey(state: StoreState, key: KeyObject): boolean {
  const incoming = spkiDer(key);
  if (certificateSpki(state.current.certificateDer)?.equals(incoming)) return false;
  return state.replaced.some((r) => certificateSpki(r.certificateDer)?.equals(incoming));
}

const isPrefix = (prefix: string[], of: string[]) => prefix.length <= of.length && prefix.every((fp, i) => of[i] === fp);

/** The backup's chain as store state (a bare PKCS#12 is a chain of one, version 1). */
function adoptBackupChain(opened: OpenedBackup, installed: Omit<StoreState['current'], 'certificateDer' | 'version'>): StoreState {
  return {
    formatVersion: 1,
    current: { certificateDer: opened.certificateDer.toString('base64'), version: opened.history?.currentVersion ?? 1, ...installed },
    replaced: [...(opened.history?.replaced ?? [])].sort((a, b) => a.version - b.version),
    rotations: opened.history?.rotations ?? [],
  };
}

export async function restoreCertificate(context: OperationContext, request: RestoreRequest): Promise<StoreStatus> {
  const report = reporter(context, request.requireEmptyStore ? 'import' : 'restore');
  const { dataDir } = context;
  const operation = request.requireEmptyStore ? 'import' : 'restore';
  const work = () => withStoreLock(dataDir, async (guard) => {
    report('checking', 0);
    let base: StoreSnapshot | null | 'damaged' = await readStoreForRepair(dataDir);
    const fingerprintBefore = base && base !== 'damaged' ? fingerprintSha256(Buffer.from(base.state.current.certificateDer, 'base64')) : null;
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

    // The CA chain that came with the certificate is kept, so that every later backup carries it.
    const chainDer = opened.chain.length > 0 ? { chainDer: opened.chain.map((der) => der.toString('base64')) } : {};
    // A bare .pfx/.p12 is an import, not a restore: it carries no rotation history (#12, finding 5).
    const source = opened.format === 'pkcs12' ? ('imported' as const) : ('restored' as const);
    const installed = { exportable: request.exportable, installedAt: now.toISOString(), source, ...chainDer };
    let state: StoreState;
    let previousKey: KeyObject | null = null;
    if (base && base !== 'damaged') {
      previousKey = await loadPrivateKey(base).catch((error: unknown) => {
        if (error instanceof CertManagerError && error.code === 'STORE_DAMAGED') return null;
        throw error;
      });
      // A store whose key is gone can only be replaced, like a damaged one.
      if (!previousKey) base = 'damaged';
    }

    if (!base || base === 'damaged') {
      state = adoptBackupChain(opened, installed);
    } else {
      const currentDer = Buffer.from(base.state.current.certificateDer, 'base64');
      const storeChain = chainFingerprints({ ...base.state, currentVersion: base.state.current.version }, currentDer);
      const backupChain = opened.history ? chainFingerprints(opened.history, opened.certificateDer) : [incoming];
      if (storeChain.slice(0, -1).includes(incoming))
        throw badInput('RESTORE_ROLLBACK', 'This certificate was replaced earlier; agents have moved on and would refuse it. Restore a newer backup, or renew with -c.');
      // Certificates are compared above; keys here, so a retired key cannot return in a new certificate.
      if (isRetiredKey(base.state, opened.privateKey))
        throw badInput(
          'RESTORE_RETIRED_KEY',
          'This file holds a private key that this store retired when it replaced an earlier certificate; it must not come back in a new certificate. Restore a backup with a newer key, or renew with -c.',
        );
      const storeKnown = storeChain.slice(0, -1);
      if (incoming === storeChain.at(-1)) {
        const longer = backupChain.length > storeChain.length && storeKnown.every((fp) => backupChain.includes(fp));
        state = longer ? adoptBackupChain(opened, installed) : { ...base.state, current: { ...base.state.current, ...installed } };
      } else if (isPrefix(storeChain, backupChain)) {
        state = adoptBackupChain(opened, installed);
      } else {
        // Same key, another certificate (re-issued elsewhere): a rotation must be signed by two keys.
        if (samePublicKey(previousKey!, opened.privateKey))
          throw badInput(
            'RESTORE_SAME_KEY',
            'This file holds the current key in a different certificate. A restore replaces the certificate together with its key; to get a new certificate, renew instead (-c).',
          );
        report('publishing-rotation', 0.6);
        const version = base.state.current.version + 1;
        const statement = await rotationStatementFor(
          { privateKey: previousKey!, certificateDer: currentDer, version: base.state.current.version },
          { privateKey: opened.privateKey, certificateDer: opened.certificateDer, version },
          now,
        );
        state = {
          formatVersion: 1,
          current: { certificateDer: opened.certificateDer.toString('base64'), version, ...installed },
          replaced: [...base.state.replaced, { certificateDer: base.state.current.certificateDer, version: base.state.current.version, replacedAt: now.toISOString() }],
          rotations: [...base.state.rotations, statement],
        };
      }
    }
    report('writing', 0.9);
    const checked = await checkGeneration(state, opened.privateKey, now);
    const audit = await prepareCommitAudit(context, {
      operation,
      fingerprintBefore,
      fingerprintAfter: incoming,
      details: { from: request.path, format: opened.format, version: state.current.version, exportable: request.exportable, repaired: base === 'damaged' },
    });
    await commitStore(dataDir, base, checked, guard, audit.record);
    await audit.appendAfterCommit();
    report('done', 1);
    return getStatus(dataDir);
  });
  return auditRefusals(context, operation, work, () => currentFingerprint(dataDir));
}
