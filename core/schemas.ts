/**
 * The shapes of what the core reports: one zod schema each, with the TypeScript type derived
 * from it. The core's operations return these types; the IPC contract reuses the same schemas,
 * so the app, the CLI's --json output and the test bridge cannot drift apart.
 */
import { z } from 'zod';
import { DEFAULT_SETTINGS as LIMIT_DEFAULT_SETTINGS, SETTINGS_LIMITS } from './limits.js';

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'lowercase hex SHA-256');
export const IsoTime = z.string().datetime({ offset: true });

const CertificateInfoSchema = z.object({
  subject: z.string(),
  issuer: z.string(),
  /** Lowercase hex, no separators. */
  serialNumber: z.string(),
  fingerprintSha256: Sha256Hex,
  notBefore: IsoTime,
  notAfter: IsoTime,
  keyAlgorithm: z.literal('RSA'),
  keySize: z.number().int(),
});
export type CertificateInfo = z.infer<typeof CertificateInfoSchema>;

const CurrentCertificateSchema = CertificateInfoSchema.extend({
  /** False after a restore with -re: the key can never be backed up from this store. */
  exportable: z.boolean(),
  /** Rotation version: 1 for the first certificate, +1 at every renew or restore of another key. */
  version: z.number().int().positive(),
  installedAt: IsoTime,
  source: z.enum(['generated', 'restored', 'imported', 'renewed']),
});
export type CurrentCertificate = z.infer<typeof CurrentCertificateSchema>;

const ReplacedCertificateSchema = CertificateInfoSchema.extend({
  version: z.number().int().positive(),
  replacedAt: IsoTime,
});
export type ReplacedCertificate = z.infer<typeof ReplacedCertificateSchema>;

export const StoreStatusSchema = z.object({
  dataDir: z.string(),
  hasCertificate: z.boolean(),
  current: CurrentCertificateSchema.nullable(),
  replaced: z.array(ReplacedCertificateSchema),
});
export type StoreStatus = z.infer<typeof StoreStatusSchema>;

export const BackupInspectionSchema = z.object({
  format: z.enum(['backup-zip', 'pkcs12']),
  certificate: CertificateInfoSchema,
  /** Replaced certificates carried in a backup zip (always 0 for a bare PKCS#12). */
  replacedCount: z.number().int().nonnegative(),
  createdAt: IsoTime.nullable(),
  /** What the current store would do with it. */
  sameAsCurrent: z.boolean(),
});
export type BackupInspection = z.infer<typeof BackupInspectionSchema>;

export const OperationName = z.enum(['generate', 'import', 'backup', 'verify-backup', 'restore', 'renew', 'export', 'export-pfx']);
export type OperationName = z.infer<typeof OperationName>;

const ProgressStepSchema = z.enum([
  'checking',
  'generating-key',
  'signing-certificate',
  'protecting-key',
  'reading-backup',
  'checking-password',
  'writing',
  'publishing-rotation',
  'done',
]);
export type ProgressStep = z.infer<typeof ProgressStepSchema>;

export const ProgressEventSchema = z.object({
  operation: OperationName,
  step: ProgressStepSchema,
  /** 0..1 overall, monotonic within one operation. */
  fraction: z.number().min(0).max(1),
});
export type ProgressEvent = z.infer<typeof ProgressEventSchema>;
export type ProgressListener = (event: ProgressEvent) => void;

export const SettingsSchema = z.object({
  logUploadIntervalMinutes: z.number().int().min(SETTINGS_LIMITS.logUploadIntervalMinutes.min).max(SETTINGS_LIMITS.logUploadIntervalMinutes.max),
  expiryWarningDays: z.number().int().min(SETTINGS_LIMITS.expiryWarningDays.min).max(SETTINGS_LIMITS.expiryWarningDays.max),
  language: z.enum(['auto', 'ja', 'en']),
});
export type Settings = z.infer<typeof SettingsSchema>;
export const DEFAULT_SETTINGS: Settings = LIMIT_DEFAULT_SETTINGS;

/** The last feed head an agent verified, as it reported at check-in (times bounded by the server's clock). */
export const ReportedHeadSchema = z.object({
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  verifiedAt: IsoTime,
  lifetimeSeconds: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
});
export type ReportedHead = z.infer<typeof ReportedHeadSchema>;

export const AgentRecordSchema = z.object({
  agentId: z.string(),
  hostname: z.string().nullable(),
  /** Fingerprint of the certificate the agent said it trusts at its last check-in. */
  trustedFingerprint: z.string(),
  agentVersion: z.string().nullable(),
  lastCheckIn: IsoTime,
  lastFailureReason: z.string().nullable(),
  lastFailureAt: IsoTime.nullable(),
  /** The last head it verified: null when it has verified none yet; absent for agents too old to say. */
  lastHead: ReportedHeadSchema.nullable().optional(),
});
export type AgentRecord = z.infer<typeof AgentRecordSchema>;

/**
 * How an agent stands, judged by the server from what it reported (core/fleet/agent-state.ts):
 * - current: trusts the current certificate and verified a head within a head's lifetime;
 * - migrating: trusts the certificate a renewal just replaced and has not checked in since,
 *   within two poll intervals of the renewal (it simply has not polled yet);
 * - stale: no fresh head for longer than a head's lifetime, or it trusts a certificate that is
 *   not the current one and is past migrating;
 * - refusing: it recorded a refusal since the last head it verified.
 */
export const AGENT_STATES = ['current', 'migrating', 'stale', 'refusing'] as const;
const AgentStateSchema = z.enum(AGENT_STATES);
export type AgentState = z.infer<typeof AgentStateSchema>;

/** An agent as the app and `-l` show it: its record and its state. */
export const FleetAgentSchema = AgentRecordSchema.extend({ state: AgentStateSchema });
export type FleetAgent = z.infer<typeof FleetAgentSchema>;

export const FleetSummarySchema = z.object({
  total: z.number().int().nonnegative(),
  /** Agents that trust the current certificate (whatever their state). */
  trustingCurrent: z.number().int().nonnegative(),
  /** Agents that need the admin: stale or refusing (migrating agents do not). */
  withoutValidCertificate: z.number().int().nonnegative(),
  /** Agents per state; they add up to total. */
  states: z.object({ current: z.number().int().nonnegative(), migrating: z.number().int().nonnegative(), stale: z.number().int().nonnegative(), refusing: z.number().int().nonnegative() }),
});
export type FleetSummary = z.infer<typeof FleetSummarySchema>;

export const AuthFailureRecordSchema = z.object({
  /** Chosen by the agent; uploads are idempotent by this id. */
  id: z.string().min(1).max(128),
  agentId: z.string().min(1).max(256),
  time: IsoTime,
  messageKind: z.string().max(64),
  reason: z.string().max(64),
  fingerprintSeen: z.string().max(128).nullable(),
  detail: z.string().max(1024).nullable().optional(),
});
export type AuthFailureRecord = z.infer<typeof AuthFailureRecordSchema>;

export const AuthFailureQuerySchema = z.object({
  agentId: z.string().optional(),
  reason: z.string().optional(),
  from: IsoTime.optional(),
  to: IsoTime.optional(),
  offset: z.number().int().nonnegative().default(0),
  limit: z.number().int().min(1).max(500).default(50),
});
export type AuthFailureQuery = z.input<typeof AuthFailureQuerySchema>;

export const AuthFailurePageSchema = z.object({
  total: z.number().int().nonnegative(),
  offset: z.number().int().nonnegative(),
  records: z.array(AuthFailureRecordSchema),
  /** Distinct reasons present, for the filter menu. */
  reasons: z.array(z.string()),
});
export type AuthFailurePage = z.infer<typeof AuthFailurePageSchema>;
