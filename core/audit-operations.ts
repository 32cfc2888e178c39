/**
 * The operations the audit trail records, each with its number in the Windows Event Log
 * (event id 1000 + n for a change, 2000 + n for a refusal: docs/audit.md). The numbers are
 * published to SIEM rules, so they are written here by hand and never reused or renumbered; a
 * new operation takes the next one. No imports: the renderer bundles this list.
 */
export const AUDIT_EVENT_NUMBERS = {
  generate: 1,
  import: 2,
  restore: 3,
  renew: 4,
  backup: 5,
  'export-agent-certificate': 6,
  'export-pfx': 7,
  settings: 8,
} as const;

export type AuditOperation = keyof typeof AUDIT_EVENT_NUMBERS;
export const AUDIT_OPERATIONS = Object.keys(AUDIT_EVENT_NUMBERS) as [AuditOperation, ...AuditOperation[]];
