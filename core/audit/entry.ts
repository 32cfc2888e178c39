/**
 * One entry of the audit trail and how entries are chained. Each entry names the hash of the
 * one before it, so an edit, a deletion or a reordering anywhere breaks every hash after it;
 * a truncation is caught by the certificate store's own record of what it committed (log.ts).
 *
 * Never a password and never key material: the fields are fixed, and `details` takes only
 * short scalar values chosen by the operations (paths, versions, formats).
 */
import { createHash, randomUUID } from 'node:crypto';
import { hostname, userInfo } from 'node:os';
import { AUDIT_FORMAT, AuditFieldsSchema, GENESIS, type AuditEntry, type AuditFields, type AuditOperation } from './schema.js';

export { AUDIT_FORMAT, AUDIT_OPERATIONS, AuditEntrySchema, AuditFieldsSchema, GENESIS, type AuditEntry, type AuditFields, type AuditOperation } from './schema.js';

/** Who and where: Windows' account and computer name, as Event Viewer shows them. */
function whoAndWhere(): { account: string; machine: string } {
  let account = process.env.USERNAME ?? process.env.USER ?? '';
  try {
    account = userInfo().username;
  } catch {
    // No passwd entry (a container): keep what the environment says.
  }
  const domain = process.env.USERDOMAIN;
  return { account: (domain ? `${domain}\\${account}` : account).slice(0, 256), machine: hostname().slice(0, 256) };
}

export interface AuditIntent {
  operation: AuditOperation;
  result?: 'ok' | 'refused';
  code?: string | null;
  fingerprintBefore?: string | null;
  fingerprintAfter?: string | null;
  details?: Record<string, string | number | boolean | null>;
}

export function auditFields(intent: AuditIntent, via: 'app' | 'cli', now: Date = new Date()): AuditFields {
  return AuditFieldsSchema.parse({
    id: randomUUID(),
    time: now.toISOString(),
    operation: intent.operation,
    result: intent.result ?? 'ok',
    code: intent.code ?? null,
    fingerprintBefore: intent.fingerprintBefore ?? null,
    fingerprintAfter: intent.fingerprintAfter ?? null,
    ...whoAndWhere(),
    via,
    details: intent.details ?? {},
  });
}

/** JSON with keys sorted at every level: the same entry always hashes the same. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object')
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

export function entryHash(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonical(entry)).digest('hex');
}

export function chainEntry(fields: AuditFields, previous: { seq: number; hash: string } | null): AuditEntry {
  const body = { ...fields, format: AUDIT_FORMAT, seq: (previous?.seq ?? 0) + 1, prev: previous?.hash ?? GENESIS } as const;
  return { ...body, hash: entryHash(body) };
}
