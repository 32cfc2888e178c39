/**
 * The audit entry's shape: zod only, no Node built-ins, because the IPC contract (which the
 * renderer bundles) declares the History dialog's answer with it. How entries are made and
 * chained is in entry.ts.
 */
import { z } from 'zod';
import { AUDIT_OPERATIONS, type AuditOperation } from '../audit-operations.js';

export const AUDIT_FORMAT = 'cm-audit/1';
/** The "previous hash" of the first entry. */
export const GENESIS = '0'.repeat(64);

export { AUDIT_OPERATIONS, type AuditOperation };

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

