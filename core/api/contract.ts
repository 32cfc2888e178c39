/**
 * The one IPC contract between the renderer and the main process (and the test bridge).
 *
 * Every operation the UI can ask for is listed here once: its channel name, a runtime schema
 * for the request and one for the response. TypeScript types are derived from the schemas, so
 * the preload's typed object, main's validation and the renderer's calls all come from this
 * file (the idea of VS Code's ProxyChannel: the interface is the contract, the transport is
 * generic). Push events (progress, fleet changes) are declared here too.
 *
 * Nothing here imports Electron or Node built-ins: the renderer bundles this module.
 */
import { z } from 'zod';
import type { ErrorKind } from '../error-kinds.js';
import { OPEN_PURPOSES, SAVE_PURPOSES } from './dialog-purposes.js';
import { KEY_SIZES, NEW_PASSWORD_LENGTH, VALIDITY_DAYS } from '../limits.js';
import { AUDIT_OPERATIONS, AuditEntrySchema } from '../audit/schema.js';
import {
  AuthFailurePageSchema,
  AuthFailureQuerySchema,
  FleetAgentSchema,
  BackupInspectionSchema,
  FleetSummarySchema,
  ProgressEventSchema,
  SettingsSchema,
  Sha256Hex,
  StoreStatusSchema,
} from '../schemas.js';

/** Passwords: bounded so a hostile renderer cannot make main hash megabytes. Never logged. */
const Password = z.string().min(1).max(NEW_PASSWORD_LENGTH.max);
/** A file-system path chosen by the admin through a native dialog (main refuses any other: path-grants.ts). */
const FilePath = z.string().min(1).max(4096);
const KeySize = z.literal(KEY_SIZES);
const ValidityDays = z.number().int().min(VALIDITY_DAYS.min).max(VALIDITY_DAYS.max);
const Empty = z.object({}).strict();
/** A column header or reason name the app passes in its own language (bounded: a renderer is not trusted). */
const CsvLabel = z.string().min(1).max(200);
/** The CSV's columns in the admin's language (core/fleet/clients-csv.ts). */
const ClientsCsvLabelsSchema = z
  .object({
    lastCheckIn: CsvLabel,
    lastFailure: CsvLabel,
    lastFailureReason: CsvLabel,
    /** Header of the state column and each state's name (current, migrating, stale, refusing). */
    state: CsvLabel.optional(),
    states: z.record(z.string().max(32), CsvLabel).refine((r) => Object.keys(r).length <= 8, 'at most 8 states').optional(),
    reasons: z.record(z.string().max(64), CsvLabel).refine((r) => Object.keys(r).length <= 64, 'at most 64 reasons'),
  })
  .strict();

const op = <Req extends z.ZodType, Res extends z.ZodType>(request: Req, response: Res) => ({ request, response });

export const contract = {
  /** What the store holds now; the wizard shows while hasCertificate is false. */
  getStatus: op(Empty, StoreStatusSchema),
  appInfo: op(
    Empty,
    z.object({ version: z.string(), locale: z.string(), platform: z.string(), dataDir: z.string() }),
  ),
  /** 「新しい証明書を生成する」: first certificate; refuses when one exists. */
  generate: op(
    z.object({ password: Password, subject: z.string().min(1).max(200).optional(), keySize: KeySize.optional(), validityDays: ValidityDays.optional() }).strict(),
    z.object({ status: StoreStatusSchema, backupPath: FilePath }),
  ),
  /** Reads a backup zip or PKCS#12 completely and says what it holds; changes nothing. */
  verifyBackup: op(z.object({ path: FilePath, password: Password }).strict(), BackupInspectionSchema),
  /** 「既存の証明書をインポートする」: first-run import; refuses when a certificate exists. */
  importCertificate: op(
    z.object({ path: FilePath, password: Password, exportable: z.boolean().default(true), expectedFingerprintSha256: Sha256Hex.optional() }).strict(),
    StoreStatusSchema,
  ),
  /** Restore over an existing certificate; the replaced one is kept. */
  restore: op(
    z.object({ path: FilePath, password: Password, exportable: z.boolean().default(true), expectedFingerprintSha256: Sha256Hex.optional() }).strict(),
    StoreStatusSchema,
  ),
  backup: op(z.object({ path: FilePath, password: Password }).strict(), z.object({ path: FilePath, fingerprintSha256: Sha256Hex })),
  renew: op(
    z.object({ password: Password, keySize: KeySize.optional(), validityDays: ValidityDays.optional() }).strict(),
    z.object({ status: StoreStatusSchema, backupPath: FilePath }),
  ),
  /** The public certificate agents need (DER .cer), for the manual fix of an agent. */
  exportAgentCertificate: op(z.object({ path: FilePath }).strict(), z.object({ path: FilePath })),
  /** "Export for another Windows server": key, certificate and CA chain as a .pfx; legacy (3DES/SHA-1) only when asked. */
  exportPfx: op(
    z.object({ path: FilePath, password: Password, compat: z.enum(['modern', 'legacy']).default('modern') }).strict(),
    z.object({ path: FilePath, fingerprintSha256: Sha256Hex, compat: z.enum(['modern', 'legacy']), chainLength: z.number().int().nonnegative() }),
  ),
  /** Strength is estimated in main so the renderer bundle stays small. */
  passwordStrength: op(
    z.object({ password: z.string().max(NEW_PASSWORD_LENGTH.max), userInputs: z.array(z.string().max(200)).max(10).optional() }).strict(),
    z.object({ score: z.number().int().min(0).max(4), warning: z.string().nullable(), suggestions: z.array(z.string()), guessesLog10: z.number() }),
  ),
  fleetSummary: op(Empty, FleetSummarySchema),
  /**
   * "Clients without a valid certificate": every agent that is not current (refusing, stale,
   * then migrating), with how many there are of each state.
   */
  clientsWithoutValidCertificate: op(
    z.object({ offset: z.number().int().nonnegative().default(0), limit: z.number().int().min(1).max(500).default(100) }).strict(),
    z.object({ total: z.number().int().nonnegative(), agents: z.array(FleetAgentSchema), states: FleetSummarySchema.shape.states }),
  ),
  exportClientsCsv: op(z.object({ path: FilePath, labels: ClientsCsvLabelsSchema.optional() }).strict(), z.object({ path: FilePath, count: z.number().int().nonnegative() })),
  queryAuthFailures: op(AuthFailureQuerySchema.strict(), AuthFailurePageSchema),
  /** The History dialog: the audit trail, newest first, and whether it verifies. */
  queryHistory: op(
    z
      .object({
        operation: z.enum(AUDIT_OPERATIONS).optional(),
        result: z.enum(['ok', 'refused']).optional(),
        offset: z.number().int().nonnegative().default(0),
        limit: z.number().int().min(1).max(500).default(50),
      })
      .strict(),
    z.object({
      total: z.number().int().nonnegative(),
      offset: z.number().int().nonnegative(),
      entries: z.array(AuditEntrySchema),
      verified: z.boolean(),
      broken: z.object({ line: z.number().int().nullable(), reason: z.string() }).nullable(),
    }),
  ),
  exportHistoryCsv: op(
    z
      .object({
        path: FilePath,
        operation: z.enum(AUDIT_OPERATIONS).optional(),
        result: z.enum(['ok', 'refused']).optional(),
        labels: z
          .object({
            time: CsvLabel,
            operation: CsvLabel,
            result: CsvLabel,
            operations: z.record(z.string().max(64), CsvLabel).refine((r) => Object.keys(r).length <= 32, 'at most 32 operations'),
            results: z.record(z.string().max(16), CsvLabel).refine((r) => Object.keys(r).length <= 4, 'at most 4 results'),
          })
          .strict()
          .optional(),
      })
      .strict(),
    z.object({ path: FilePath, count: z.number().int().nonnegative() }),
  ),
  getSettings: op(Empty, SettingsSchema),
  setSettings: op(SettingsSchema.partial().strict(), SettingsSchema),
  /** Native dialogs. The renderer never sees the file system; it only gets a chosen path. */
  showOpenDialog: op(z.object({ purpose: z.enum(OPEN_PURPOSES) }).strict(), z.object({ path: FilePath.nullable() })),
  showSaveDialog: op(
    z.object({ purpose: z.enum(SAVE_PURPOSES), defaultName: z.string().max(255).optional() }).strict(),
    z.object({ path: FilePath.nullable() }),
  ),
} as const;

type Contract = typeof contract;
export type OperationKey = keyof Contract;
type RequestOf<K extends OperationKey> = z.input<Contract[K]['request']>;
type ParsedRequestOf<K extends OperationKey> = z.output<Contract[K]['request']>;
type ResponseOf<K extends OperationKey> = z.output<Contract[K]['response']>;

/** The typed object the preload exposes (and the test bridge client imitates). */
export type CertificateManagerApi = {
  [K in OperationKey]: (request: RequestOf<K>) => Promise<ResponseOf<K>>;
} & {
  on<E extends EventKey>(event: E, listener: (payload: EventOf<E>) => void): () => void;
};

/** What main implements: receives validated requests. */
export type ApiHandlers = {
  [K in OperationKey]: (request: ParsedRequestOf<K>) => Promise<ResponseOf<K>>;
};

export const events = {
  progress: ProgressEventSchema,
  fleetChanged: FleetSummarySchema,
  statusChanged: StoreStatusSchema,
} as const;
export type EventKey = keyof typeof events;
export type EventOf<E extends EventKey> = z.output<(typeof events)[E]>;

export const OPERATION_KEYS = Object.keys(contract) as OperationKey[];
export const EVENT_KEYS = Object.keys(events) as EventKey[];
export const channelOf = (key: OperationKey) => `cm:op:${key}`;
export const eventChannelOf = (key: EventKey) => `cm:event:${key}`;

/** Errors cross the boundary as data, never as thrown Error objects (which lose their fields). */
export interface ErrorPayload {
  kind: ErrorKind;
  code: string;
  message: string;
  details: Record<string, string | number>;
}
export type Result<T> = { ok: true; value: T } | { ok: false; error: ErrorPayload };
