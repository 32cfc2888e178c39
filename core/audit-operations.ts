/**
 * The operations the audit trail records. Each one's Windows Event Log id is 1000 + its
 * position here (1 for the first) for a change, and 2000 + it for a refusal (docs/audit.md).
 * SIEM rules know those ids: append a new operation at the end, never insert or reorder (the
 * Event Log test pins the published ones). No imports: the renderer bundles this list.
 */
export const AUDIT_OPERATIONS = ['generate', 'import', 'restore', 'renew', 'backup', 'export-agent-certificate', 'export-pfx', 'settings'] as const;
export type AuditOperation = (typeof AUDIT_OPERATIONS)[number];

/** The operation's number in Event Log ids: its position in AUDIT_OPERATIONS, from 1. */
export const auditEventNumber = (operation: AuditOperation): number => AUDIT_OPERATIONS.indexOf(operation) + 1;
