/** The certificate operations: the one implementation the CLI, the app and the bridge call. */
export { getStatus } from './status.js';
export { generateCertificate, type GenerateRequest } from './generate.js';
export { backupCertificate } from './backup.js';
export { restoreCertificate, type RestoreRequest } from './restore.js';
export { renewCertificate, type RenewRequest } from './renew.js';
export { exportAgentCertificate } from './export.js';
export { verifyBackup } from './verify-backup.js';
export type { OperationContext } from './context.js';
