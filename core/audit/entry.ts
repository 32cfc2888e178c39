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
import { z } from 'zod';

export const AUDIT_FORMAT = 'cm-audit/1';
/** The "previous hash" of the first entry. */
export const GENESIS = '0'.repeat(64);

export const AUDIT_OPERATIONS = ['generate', 'import', 'restore', 'renew', 'backup', 'export-agent-certificate', 'export-pfx', 'settings'] as const;
export type AuditOperation = (typeof AUDIT_OPERATIONS)[number];

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const Detail = z.union([z.string().max(4096), z.number(), z.boolean(), z.null()]);

/** What an operation says about itself. */
export const AuditFieldsSchema = z
  .object({
    /** Also the key the store's generation record uses to find this entry (log.ts). */
    id: z.string().uuid(),
    time: z.string().datetime(),
    operation: z.enum(AUDIT_OPERATIONS),
    result: z.enum(['ok', 'refused']),
    /** The error code of a refusal (WRONG_PASSWORD, STORE_LOCKED, RESTORE_ROLLBACK...). */
    code: z.string().max(64).nullable(),
    fingerprintBefore: Hex64.nullable(),
    fingerprintAfter: Hex64.nullable(),
    account: z.string().max(256),
    machine: z.string().max(256),
    via: z.enum(['app', 'cli']),
    details: z.record(z.string().max(64), Detail),
  })
  .strict();
export type AuditFields = z.infer<typeof AuditFieldsSchema>;

export const AuditEntrySchema = AuditFieldsSchema.extend({
  format: z.literal(AUDIT_FORMAT),
  seq: z.number().int().positive(),
  prev: Hex64,
  hash: Hex64,
}).strict();
export type AuditEntry = z.infer<typeof AuditEntrySchema>;

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
