/**
 * How operations write the audit trail (core/audit): a change's entry goes into its new
 * generation before the commit point and into the log after it; refused attempts that reached
 * the store (a wrong password, a rollback, a locked store) are recorded as `refused`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { auditFields, type AuditIntent, type AuditOperation } from '../audit/entry.js';
import { appendAuditEntry, generationAuditRecord } from '../audit/log.js';
import { CertManagerError } from '../errors.js';
import { fingerprintSha256 } from '../pki/inspect.js';
import { readStore, STORE_MARKER } from '../store/store.js';
import { nowOf, type OperationContext } from './context.js';

const via = (context: OperationContext) => context.via ?? 'cli';

/** Only into our own data folder: a mistyped --data-dir never gets a file from us. */
const isStore = (dataDir: string) => existsSync(join(dataDir, STORE_MARKER));

/** Records a change that does not make a generation (backup, exports, settings). Best effort. */
export async function recordChange(context: OperationContext, intent: AuditIntent): Promise<boolean> {
  if (!isStore(context.dataDir)) return false;
  return appendAuditEntry(context.dataDir, auditFields(intent, via(context), nowOf(context)));
}

/** For a change that commits a generation: the record to commit with it, and the append after. */
export async function prepareCommitAudit(context: OperationContext, intent: AuditIntent): Promise<{ record: string; appendAfterCommit: () => Promise<boolean> }> {
  const fields = auditFields(intent, via(context), nowOf(context));
  return { record: await generationAuditRecord(context.dataDir, fields), appendAfterCommit: () => appendAuditEntry(context.dataDir, fields) };
}

/** The fingerprint of the certificate in use, for an entry's "before"; null when there is none. */
export async function currentFingerprint(dataDir: string): Promise<string | null> {
  const snapshot = await readStore(dataDir).catch(() => null);
  return snapshot ? fingerprintSha256(Buffer.from(snapshot.state.current.certificateDer, 'base64')) : null;
}

/** Refusals worth an auditor's attention: someone tried, and the store said no. */
const RECORDED_REFUSALS = new Set(['STORE_LOCKED', 'STORE_CHANGED', 'RESTORE_ROLLBACK', 'RESTORE_RETIRED_KEY', 'CERTIFICATE_EXISTS']);

export async function auditRefusals<T>(context: OperationContext, operation: AuditOperation, work: () => Promise<T>, fingerprintBefore: () => Promise<string | null>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof CertManagerError && (error.kind === 'wrong-password' || RECORDED_REFUSALS.has(error.code)) && isStore(context.dataDir)) {
      const before = await fingerprintBefore().catch(() => null);
      await recordChange(context, { operation, result: 'refused', code: error.code, fingerprintBefore: before });
    }
    throw error;
  }
}
