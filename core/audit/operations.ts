/** The operations the audit trail records. No imports: the renderer bundles this list. */
export const AUDIT_OPERATIONS = ['generate', 'import', 'restore', 'renew', 'backup', 'export-agent-certificate', 'export-pfx', 'settings'] as const;
export type AuditOperation = (typeof AUDIT_OPERATIONS)[number];
