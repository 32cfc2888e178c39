/**
 * The wire protocol between the server (core/fleet) and agents (core/agent), in one place so
 * the two ends cannot drift: URL layout, request and response bodies, and limits. The JWS
 * formats themselves are core/trust's (see core/trust/README.md); docs/protocol.md explains
 * all of it for someone writing an agent in another language.
 *
 * Bodies of signed messages are parsed with non-strict schemas (unknown fields are dropped):
 * the signed envelope is strict, and new fields go into bodies so older agents keep working.
 * Request bodies the server takes are strict: a sender that says more than we understand is
 * refused with 400.
 */
import { hash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import { AuthFailureRecordSchema, IsoTime, ReportedHeadSchema, Sha256Hex } from '../schemas.js';
import { DEFAULT_MAX_MESSAGE_BYTES, TRUST_FAILURE_REASONS } from '../trust/index.js';

/** Everything the feed serves lives under this path of the built-in server (a mirror may use any base URL). */
export const FEED_PREFIX = '/feed/';
/** The agent API (check-ins and auth-failure uploads): never mirrored, always the server itself. */
const API_PREFIX = '/api/v1/';

export const FEED_FILES = {
  /** Signed `notification` message: the head of the feed. Fetched on every poll. */
  head: 'index.jws',
  /**
   * `{format, statements}`: the newest rotation statements that fit in LIMITS.rotationsBytes,
   * oldest first, for agents from before rotationPath. Self-authenticating, unsigned wrapper.
   */
  rotations: 'rotations.json',
  /** The current certificate, DER. Informational (what `-e` exports); agents never trust it from here. */
  certificate: 'certificate.cer',
} as const;

/**
 * One rotation statement, named by the fingerprint of the certificate it leads away from: an
 * agent follows the chain from the certificate it trusts, one small file per renewal it missed,
 * whatever the length of the whole history (a 404 means: nothing leads on from here).
 */
export const rotationPath = (previousFingerprintSha256: string) => `rotations/${previousFingerprintSha256}.json`;
export const documentPath = (seq: number) => `documents/${String(seq).padStart(12, '0')}.jws`;
export const contentPath = (sha256: string) => `content/${sha256}`;

export const API_PATHS = { checkIn: `${API_PREFIX}check-in`, authFailures: `${API_PREFIX}auth-failures` } as const;

/**
 * How often agents poll the feed by default (seconds, ±10 % jitter). The server judges
 * "migrating" by it: an agent that has not polled within two intervals of a renewal is late.
 */
export const POLL_INTERVAL_SECONDS = 300;

export const LIMITS = {
  /** A head, a document, a check-in response or an upload acknowledgement. */
  messageBytes: DEFAULT_MAX_MESSAGE_BYTES,
  /**
   * rotations.json: about 4 KiB per statement, so room for about a thousand renewals; the server
   * leaves the oldest out beyond this (rotationPath serves every one of them).
   */
  rotationsBytes: 4 * 1024 * 1024,
  /** Hotfix content an agent downloads at most (the reference agent holds it in memory). */
  hotfixBytes: 64 * 1024 * 1024,
  checkInBodyBytes: 4 * 1024,
  /** How deeply a request body may nest (an upload: object, records array, record: 3). */
  jsonDepth: 8,
  uploadBodyBytes: 1024 * 1024,
  /** Records in one upload; an agent with more sends several batches. */
  uploadBatchRecords: 500,
  /** Records one agent keeps waiting for upload; beyond this the oldest are dropped (and counted). */
  spoolRecords: 10_000,
  documents: 256,
  notices: 100,
  /** Agents the server keeps records for; check-ins of new agents beyond this get 503. */
  agents: 200_000,
  /**
   * Auth-failure records the server stores for one agent (429 beyond), and in all (507 beyond).
   * Agents are authenticated, so only an agent itself can fill its own quota; the total bounds
   * what a crowd of new agents could make the server keep (about 2 KiB of memory per record).
   */
  storedRecordsPerAgent: 20_000,
  storedRecords: 400_000,
} as const;

/**
 * Every reason an agent records a refusal under: core/trust's, plus the ones about the exchange
 * itself (a server too slow, an answer naming another request, a feed withheld too long).
 */
export const REFUSAL_REASONS = [...TRUST_FAILURE_REASONS, 'timeout', 'request-altered', 'feed-unreachable'] as const;

/** Relative path inside the feed: plain segments, no `..`, no leading slash, no query. */
const FeedRelativePath = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9_-][A-Za-z0-9._-]*(\/[A-Za-z0-9_-][A-Za-z0-9._-]*)*$/, 'a relative feed path');

/** Agent ids: printable ASCII without spaces; today's agents use the hex SHA-256 of their public key (request-auth.ts). */
const AgentId = z.string().regex(/^[\x21-\x7e]{1,128}$/, '1 to 128 printable ASCII characters');
/** Request nonces, echoed in the signed response so it answers this request and no other. */
const Nonce = z.string().regex(/^[A-Za-z0-9_-]{16,64}$/, '16 to 64 base64url characters');

/** A fresh request nonce: 16 random bytes, base64url. */
export const newNonce = (): string => randomBytes(16).toString('base64url');

export const NoticeSchema = z.object({ id: z.string().min(1).max(128), time: IsoTime, text: z.string().max(2000) });
export type Notice = z.infer<typeof NoticeSchema>;

export const FEED_FORMAT = 'cm-feed/1';
export const ROTATIONS_FORMAT = 'cm-rotations/1';

/** Body of the head (`index.jws`, kind `notification`). */
export const FeedHeadSchema = z.object({
  format: z.literal(FEED_FORMAT),
  publishedAt: IsoTime,
  /** The certificate the server signs with now (the one that signed this head). */
  certificate: z.object({ version: z.number().int().min(1), fingerprintSha256: Sha256Hex }),
  /** Signed documents, each named by path and pinned by the SHA-256 of its exact bytes. */
  documents: z
    .array(
      z.object({
        kind: z.enum(['settings', 'hotfix-manifest']),
        path: FeedRelativePath,
        seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
        sha256: Sha256Hex,
        size: z.number().int().min(1).max(DEFAULT_MAX_MESSAGE_BYTES),
      }),
    )
    .max(LIMITS.documents),
  notices: z.array(NoticeSchema).max(LIMITS.notices),
  /**
   * The audit log's head when this was signed (core/audit): every agent and mirror then holds a
   * signed copy of the log's latest hash, so a later edit, deletion or truncation of the log
   * is detected by `certificatemanager audit --verify --head <index.jws>`. Null: no log yet.
   * Optional: heads signed before it have none.
   */
  audit: z.object({ seq: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), hash: Sha256Hex }).nullable().optional(),
});
export type FeedHead = z.infer<typeof FeedHeadSchema>;
export type FeedDocumentRef = FeedHead['documents'][number];

/** Body of a `settings` document. */
export const FeedSettingsSchema = z.object({ logUploadIntervalMinutes: z.number().int().min(5).max(24 * 60) });
export type FeedSettings = z.infer<typeof FeedSettingsSchema>;

/** rotations.json. Statements are JWS JSON General Serialization objects (core/trust/rotation.ts). */
export const RotationsDocumentSchema = z.object({
  format: z.literal(ROTATIONS_FORMAT),
  statements: z.array(z.unknown()).max(4096),
});

/** POST /api/v1/check-in */
export const CheckInRequestSchema = z.strictObject({
  agentId: AgentId,
  hostname: z.string().max(255).nullable(),
  agentVersion: z.string().max(64).nullable(),
  /** Hex SHA-256 of the certificate the agent trusts; "" when its trust state is unreadable. */
  trustedFingerprint: z.union([Sha256Hex, z.literal('')]),
  /** Its version in the agent's trust state (0 when unknown). */
  trustedVersion: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  nonce: Nonce,
  /** The agent's clock when it sent this; refused when far from the server's (request-auth.ts). */
  sentAt: IsoTime,
  /**
   * Freshness, so a withheld or frozen feed shows on the server: the last head the agent
   * verified (null: none yet) and its newest recorded refusal. Optional: older agents omit them.
   */
  lastHead: ReportedHeadSchema.strict().nullable().optional(),
  lastRefusal: z.strictObject({ messageKind: z.string().max(64), reason: z.string().max(64), time: IsoTime }).nullable().optional(),
});

/** Body of the signed response (kind `endpoint-response`). */
export const CheckInResponseSchema = z.object({
  type: z.literal('check-in'),
  agentId: AgentId,
  nonce: Nonce,
  certificate: z.object({ version: z.number().int().min(1), fingerprintSha256: Sha256Hex }),
  /** Whether the fingerprint the agent reported is the server's current one. */
  trusted: z.boolean(),
  /** Hex SHA-256 of the request body as the server received it (see requestSha256). */
  requestSha256: Sha256Hex,
});
export type CheckInResponse = z.infer<typeof CheckInResponseSchema>;

/** One record as the agent uploads it (`agentId` may be left out: the upload names the agent). */
const UploadedFailureSchema = z.strictObject({ ...AuthFailureRecordSchema.shape, agentId: AgentId.optional() });

/** POST /api/v1/auth-failures */
export const UploadRequestSchema = z.strictObject({
  agentId: AgentId,
  nonce: Nonce,
  sentAt: IsoTime,
  records: z.array(UploadedFailureSchema).min(1).max(LIMITS.uploadBatchRecords),
});

/** Body of the signed acknowledgement (kind `endpoint-response`). */
export const UploadAckSchema = z.object({
  type: z.literal('auth-failure-ack'),
  agentId: AgentId,
  nonce: Nonce,
  /**
   * One entry per record of the request, in its order: the recordSha256 of what the server holds
   * under that record's id for this agent now (this upload's copy, or one stored before), or null
   * when it holds nothing. The agent forgets a record only when this names the content it sent.
   * No ids: the ack is bound to the request by requestSha256, and the request lists them.
   */
  stored: z.array(Sha256Hex.nullable()).max(LIMITS.uploadBatchRecords),
  accepted: z.number().int().min(0),
  duplicates: z.number().int().min(0),
  /** Hex SHA-256 of the request body as the server received it (see requestSha256). */
  requestSha256: Sha256Hex,
});
export type UploadAck = z.infer<typeof UploadAckSchema>;

/**
 * What the server signs back about a request: the SHA-256 of its body, byte for byte. Requests
 * are signed by the agent, but a server that skipped the check (or an older one) and plain HTTP
 * would let a machine in the middle rewrite an upload (a forged-signature record turned into a harmless timeout) and pass the server's
 * real acknowledgement on. The agent compares this with what it sent and forgets nothing that
 * the server did not receive as sent.
 */
export const requestSha256 = (body: Uint8Array | string): string => hash('sha256', body, 'hex');

/**
 * The content hash of one auth-failure record, as acknowledged: the evidence fields in a fixed
 * order, so both ends compute it from the record alone. `detail` is left out on purpose: it
 * carries the repeat count, which grows between a send whose acknowledgement was lost and the
 * next one, and it is free text, not evidence the admin acts on.
 */
export const recordSha256 = (r: { id: string; agentId?: string; time: string; messageKind: string; reason: string; fingerprintSeen: string | null }): string =>
  // crypto.hash: one call, no Hash object, for the 500 records of every upload on both ends.
  hash('sha256', JSON.stringify([r.id, r.agentId ?? null, r.time, r.messageKind, r.reason, r.fingerprintSeen]), 'hex');

/** Non-2xx answers of the API: plain JSON, never signed, never acted on by agents. */
export interface ApiError {
  error: { code: string; message: string };
}
