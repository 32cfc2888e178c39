/**
 * The reference agent. It trusts one server certificate, verifies every message from the
 * server with it, follows the server's key rotations, refuses everything else, writes an
 * auth-failure record for every refusal and uploads those records to the server.
 *
 * One cycle (runOnce):
 *   1. feed: GET index.jws; verify it (on 'untrusted-key', fetch rotations.json once, follow
 *      the chain, persist the new trust state, verify again); then each signed document the
 *      head names that is newer than the last one of its kind: GET, SHA-256 against the head,
 *      verify, act (settings; hotfix: download, check against its manifest), commit its seq.
 *      The head's own seq is committed when all its documents went through.
 *   2. check-in: POST the agent id and the fingerprint it trusts; verify the signed response.
 *   3. upload (when due, every 60 minutes with jitter, or forced): POST spooled records in
 *      batches; a record leaves the spool only when a verified acknowledgement names its id.
 *      A failed upload is retried with exponential back-off; the schedule survives restarts.
 *
 * Clock, timers, randomness, transport and storage are injected, so the simulator runs
 * thousands of agents in one process and tests drive time by hand. The CLI wraps this class.
 */
import { constants, createHash, createPrivateKey, randomUUID, verify as cryptoVerify } from 'node:crypto';
import type { AuthFailureRecord } from '../api/schemas.js';
import {
  ContentCheck,
  TrustError,
  followRotations,
  isRepeatOfLastAccepted,
  isTrustError,
  parseRotationStatement,
  recordAccepted,
  ROTATION_TYP,
  type ContentManifest,
  type MessageKind,
  type TrustState,
  type VerifiedMessage,
} from '../trust/index.js';
import { decodeB64url, parseJsonBytes } from '../trust/codec.js';
import { readHeader } from '../trust/jws.js';
import { thumbprintB64url } from '../trust/certificate.js';
import {
  API_PATHS,
  CheckInResponseSchema,
  FEED_FILES,
  FEED_PREFIX,
  FeedHeadSchema,
  FeedSettingsSchema,
  LIMITS,
  RotationsDocumentSchema,
  UploadAckSchema,
  newNonce,
  recordSha256,
  requestSha256,
  type FeedDocumentRef,
  type FeedSettings,
  type Notice,
} from '../fleet/protocol.js';
import { AgentKey, generateAgentKey } from '../fleet/request-auth.js';
import { HttpTransport, TransportError, type Transport } from './transport.js';
import { MessageVerifier, sharedVerifier } from './verifier.js';
import type { RotationCache } from './rotation-cache.js';
import { TrustStateChanged, newAgentMeta, type AgentMeta, type AgentStorage, type TrustSnapshot } from './storage.js';

export interface AgentTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: AgentTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface AgentOptions {
  /** The server's own address: check-ins and uploads go to `${serverUrl}/api/v1/...`. */
  serverUrl: string | URL;
  /** Where the signed feed is read (a mirror or CDN may serve it). Default `${serverUrl}/feed/`. */
  feedUrl?: string | URL;
  storage: AgentStorage;
  transport?: Transport;
  verifier?: MessageVerifier;
  agentVersion?: string | null;
  hostname?: string | null;
  now?: () => Date;
  timers?: AgentTimers;
  /** In [0, 1): jitter and back-off. */
  random?: () => number;
  /** Overrides the interval the server's signed settings give (minutes). */
  uploadIntervalMinutes?: number;
  /** How often start() polls the feed (seconds, ±10 % jitter). Default 300. */
  pollIntervalSeconds?: number;
  /** Whole-exchange timeout per request (default 30 s) and connect timeout (default 10 s). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Upload retry: first delay and ceiling (the ceiling never exceeds the upload interval). */
  backoff?: { baseMs?: number; maxMs?: number };
  onEvent?: (event: AgentEvent) => void;
  /** Shared by agents in one process (the simulator): each distinct chain walk is verified once. */
  rotationCache?: RotationCache;
}

export type AgentEvent =
  | { type: 'refused'; record: AuthFailureRecord }
  | { type: 'rotated'; fromVersion: number; toVersion: number; fingerprintSha256: string }
  | { type: 'version-learnt'; version: number; from: 'head' | 'chain' }
  | { type: 'settings'; settings: FeedSettings }
  | { type: 'hotfix'; manifest: ContentManifest }
  | { type: 'notice'; notice: Notice }
  | { type: 'checked-in'; trusted: boolean; serverVersion: number }
  | { type: 'uploaded'; count: number; duplicates: number }
  | { type: 'upload-failed'; attempts: number; nextAt: string }
  | { type: 'offline'; url: string; message: string }
  | { type: 'error'; message: string };

export interface CycleReport {
  /** What the agent trusts at the end of the cycle (null: no readable trust state). */
  fingerprintSha256: string | null;
  version: number | null;
  refused: AuthFailureRecord[];
  /** Versions moved forward through the rotation chain in this cycle. */
  rotatedBy: number;
  checkedIn: boolean;
  uploaded: number;
  /** A request could not reach the server (down, refused, HTTP error). */
  offline: boolean;
  /** The cycle stopped early: stop() was called, or import-cert replaced the trust state. */
  interrupted: boolean;
}

export interface RunOptions {
  /** auto: on the first cycle, after the trusted certificate changed, and with each upload. */
  checkIn?: 'auto' | 'always' | 'never';
  /** due: when the upload schedule says so; force: now, if anything is spooled. */
  upload?: 'due' | 'force' | 'never';
}

export const DEFAULT_UPLOAD_INTERVAL_MINUTES = 60;
export const DEFAULT_POLL_INTERVAL_SECONDS = 300;
export const DEFAULT_BACKOFF = { baseMs: 30_000, maxMs: 60 * 60_000 } as const;
/** Upload batches per cycle; a larger spool drains over the next cycles. */
const MAX_BATCHES_PER_UPLOAD = 20;
/** Tolerance on iat/exp for answers bound to their request by a nonce (check-in, upload). */
const NONCE_BOUND_CLOCK_SKEW_SECONDS = 24 * 3600;

class Stopped extends Error {}

interface Context {
  trust: TrustSnapshot;
  rotationTried: boolean;
}

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The hex fingerprint a compact JWS claims in its header, if it can be read at all. */
export function claimedFingerprint(jws: Buffer | string): string | null {
  try {
    const text = typeof jws === 'string' ? jws : jws.subarray(0, 4096).toString('latin1');
    const dot = text.indexOf('.');
    if (dot <= 0) return null;
    const header = JSON.parse(Buffer.from(text.slice(0, dot), 'base64url').toString('utf8')) as Record<string, unknown>;
    const x5t = header['x5t#S256'];
    return typeof x5t === 'string' && /^[A-Za-z0-9_-]{43}$/.test(x5t) ? Buffer.from(x5t, 'base64url').toString('hex') : null;
  } catch {
    return null;
  }
}

export class Agent {
  readonly serverUrl: URL;
  readonly feedUrl: URL;
  private readonly storage: AgentStorage;
  private readonly transport: Transport;
  private readonly verifier: MessageVerifier;
  private readonly now: () => Date;
  private readonly timers: AgentTimers;
  private readonly random: () => number;
  private meta: AgentMeta | null = null;
  private key: AgentKey | null = null;
  private mutex: Promise<unknown> = Promise.resolve();
  private abort = new AbortController();
  private running = false;
  private timer: unknown = null;
  private nextPollAt = 0;
  private checkedIn = false;
  private lastFingerprint: string | null = null;
  private trustStateRefusalLogged = false;
  /** SHA-256 of the last head accepted in full: the same bytes again mean nothing new (no need to verify twice). */
  private lastHead: { sha256: string; fingerprint: string } | null = null;
  /** The trust state's token as this agent last read or wrote it. */
  private lastTrustToken: string | null = null;

  constructor(private readonly options: AgentOptions) {
    this.serverUrl = new URL(String(options.serverUrl));
    if (!this.serverUrl.pathname.endsWith('/')) this.serverUrl.pathname += '/';
    this.feedUrl = new URL(String(options.feedUrl ?? new URL(FEED_PREFIX.slice(1), this.serverUrl)));
    if (!this.feedUrl.pathname.endsWith('/')) this.feedUrl.pathname += '/';
    this.storage = options.storage;
    this.transport = options.transport ?? new HttpTransport();
    this.verifier = options.verifier ?? sharedVerifier;
    this.now = options.now ?? (() => new Date());
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
  }

  /** The agent id (created and persisted on first use). */
  async agentId(): Promise<string> {
    return (await this.loadMeta()).agentId;
  }

  /** One cycle: feed, check-in, upload (see the file comment). Never throws for network or trust problems. */
  runOnce(options: RunOptions = {}): Promise<CycleReport> {
    return this.exclusive(async () => {
      const report: CycleReport = { fingerprintSha256: null, version: null, refused: [], rotatedBy: 0, checkedIn: false, uploaded: 0, offline: false, interrupted: false };
      try {
        await this.loadMeta();
        const ctx = await this.loadContext(report);
        if (ctx) await this.syncFeed(ctx, report);
        const fingerprint = ctx?.trust.state.fingerprintSha256 ?? null;
        const uploadMode = options.upload ?? 'due';
        const uploadDue = uploadMode === 'force' || (uploadMode === 'due' && (await this.uploadDue()));
        const checkInMode = options.checkIn ?? 'auto';
        if (checkInMode === 'always' || (checkInMode === 'auto' && (!this.checkedIn || fingerprint !== this.lastFingerprint || uploadDue))) await this.checkIn(ctx, report);
        if (uploadDue) await this.upload(ctx, report);
        report.fingerprintSha256 = fingerprint;
        report.version = ctx?.trust.state.version ?? null;
      } catch (error) {
        if (error instanceof Stopped || error instanceof TrustStateChanged) report.interrupted = true;
        else throw error;
      }
      return report;
    });
  }

  /** Runs cycles on the injected timers until stop(): the feed every poll interval, uploads when due. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.abort = new AbortController();
    this.nextPollAt = this.now().getTime();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.mutex.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = this.timers.setTimeout(() => void this.tick(), Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (!this.running) return;
    const now = this.now().getTime();
    const pollDue = now >= this.nextPollAt;
    // Set before the cycle: a cycle that fails for a local reason (a full disk) must not spin.
    if (pollDue) this.nextPollAt = now + this.pollIntervalMs() * (0.9 + 0.2 * this.random());
    try {
      if (pollDue || (await this.uploadDue())) await this.runOnce();
    } catch (error) {
      this.emit({ type: 'error', message: (error as Error).message });
    }
    if (!this.running) return;
    const uploadAt = this.meta?.upload.nextAt ? Date.parse(this.meta.upload.nextAt) : Infinity;
    // At least a second between wake-ups, whatever the schedule says.
    this.schedule(Math.max(1000, Math.min(this.nextPollAt, uploadAt) - this.now().getTime()));
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(work);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  private emit(event: AgentEvent): void {
    this.options.onEvent?.(event);
  }

  private pollIntervalMs(): number {
    return (this.options.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS) * 1000;
  }

  private uploadIntervalMs(): number {
    return (this.options.uploadIntervalMinutes ?? this.meta?.settings?.logUploadIntervalMinutes ?? DEFAULT_UPLOAD_INTERVAL_MINUTES) * 60_000;
  }

  /**
   * The agent's own key, made on first use. Its hash is the agent id, so an agent re-installed
   * (new state folder, new key) is a new agent, and the old one goes stale on the server.
   */
  private async loadKey(): Promise<AgentKey> {
    if (this.key) return this.key;
    const pem = (await this.storage.loadAgentKey()) ?? (await this.storage.createAgentKey(generateAgentKey()));
    this.key = new AgentKey(createPrivateKey(pem));
    return this.key;
  }

  private async loadMeta(): Promise<AgentMeta> {
    if (this.meta) return this.meta;
    const key = await this.loadKey();
    let meta = await this.storage.loadMeta();
    if (!meta) {
      meta = newAgentMeta(key.agentId, this.now());
      await this.storage.saveMeta(meta);
    } else if (meta.agentId !== key.agentId) {
      // A state folder from before agent keys (a random id), or agent.json written by import-cert.
      meta.agentId = key.agentId;
      await this.storage.saveMeta(meta);
    }
    this.meta = meta;
    return meta;
  }

  /** Read, change, write: import-cert may have written agent.json since it was cached. */
  private async saveMeta(change: (meta: AgentMeta) => void): Promise<void> {
    const meta = (await this.storage.loadMeta()) ?? (await this.loadMeta());
    change(meta);
    meta.agentId = (await this.loadKey()).agentId;
    await this.storage.saveMeta(meta);
    this.meta = meta;
  }

  // ---- refusals -------------------------------------------------------------------------

  /**
   * Logs a refusal. The same refusal again (same kind, reason and fingerprint) while the first
   * still waits in the spool is counted on that record instead of written anew: a forged feed
   * is refused at every poll, and a fleet of thousands would otherwise send the server twelve
   * copies an hour each, filling its log in hours during exactly the incident the admin needs
   * it for. The count and the last time go into the record's detail when it is uploaded.
   */
  private async refuse(report: CycleReport, messageKind: string, reason: string, detail: string, fingerprintSeen: string | null): Promise<void> {
    const meta = await this.loadMeta();
    const time = this.now().toISOString();
    const waiting = (await this.storage.readSpool()).find((r) => r.messageKind === messageKind && r.reason === reason && r.fingerprintSeen === fingerprintSeen);
    if (waiting) {
      await this.saveMeta((m) => (m.repeats[waiting.id] = { count: (m.repeats[waiting.id]?.count ?? 1) + 1, last: time }));
      report.refused.push(waiting);
      this.emit({ type: 'refused', record: waiting });
      return;
    }
    const record: AuthFailureRecord = { id: randomUUID(), agentId: meta.agentId, time, messageKind, reason, fingerprintSeen, detail: detail.slice(0, 1024) };
    const dropped = await this.storage.appendFailures([record]);
    if (dropped > 0) await this.saveMeta((m) => (m.droppedRecords += dropped));
    report.refused.push(record);
    this.emit({ type: 'refused', record });
  }

  private refuseError(report: CycleReport, messageKind: string, error: unknown, fingerprintSeen: string | null): Promise<void> {
    if (error instanceof TrustError) return this.refuse(report, messageKind, error.reason, error.message, fingerprintSeen);
    throw error;
  }

  // ---- trust ----------------------------------------------------------------------------

  private async loadContext(report: CycleReport): Promise<Context | null> {
    let trust: TrustSnapshot | null;
    try {
      trust = await this.storage.loadTrust();
    } catch (error) {
      if (!(error instanceof TrustError)) throw error;
      // Logged once per run: every later cycle would only repeat it.
      if (!this.trustStateRefusalLogged) await this.refuseError(report, 'trust-state', error, null);
      this.trustStateRefusalLogged = true;
      return null;
    }
    if (!trust) return null;
    this.trustStateRefusalLogged = false;
    if (this.lastTrustToken !== null && trust.token !== this.lastTrustToken) {
      // Replaced by someone else (import-cert): forget what was learnt about the old trust.
      this.meta = null;
      this.lastHead = null;
      this.checkedIn = false;
      await this.loadMeta();
    }
    this.lastTrustToken = trust.token;
    return { trust, rotationTried: false };
  }

  private async saveTrust(ctx: Context, state: TrustState): Promise<void> {
    const token = await this.storage.saveTrust(state, ctx.trust.token);
    ctx.trust = { state, token };
    this.lastTrustToken = token;
  }

  private async commit(ctx: Context, message: VerifiedMessage): Promise<void> {
    await this.saveTrust(ctx, recordAccepted(ctx.trust.state, message));
  }

  /**
   * Verifies a message from the server. On 'untrusted-key' it follows the rotation chain once
   * and tries again. Returns the message, 'repeat' (the same feed item fetched again, when
   * that is benign on this channel), or null after a refusal, which is logged.
   */
  private async accept(bytes: Buffer, kind: MessageKind, ctx: Context, report: CycleReport, repeatIsBenign: boolean): Promise<VerifiedMessage | 'repeat' | null> {
    // An API answer is bound to its request by the nonce it echoes, so its freshness does not
    // rest on the clock: an agent whose clock is minutes off must still be able to check in.
    const clockSkewSeconds = kind === 'endpoint-response' ? NONCE_BOUND_CLOCK_SKEW_SECONDS : undefined;
    const attempt = () => this.verifier.verify(bytes, ctx.trust.state, { kinds: [kind], now: this.now(), maxBytes: LIMITS.messageBytes, clockSkewSeconds });
    try {
      return attempt();
    } catch (error) {
      if (repeatIsBenign && isRepeatOfLastAccepted(error)) return 'repeat';
      if (isTrustError(error, 'untrusted-key') && !ctx.rotationTried) {
        ctx.rotationTried = true;
        const outcome = await this.followChain(ctx, report);
        if (outcome === 'refused') return null; // the chain's own refusal is the one logged
        if (outcome === 'advanced') {
          try {
            return attempt();
          } catch (again) {
            if (repeatIsBenign && isRepeatOfLastAccepted(again)) return 'repeat';
            await this.refuseError(report, kind, again, claimedFingerprint(bytes));
            return null;
          }
        }
      }
      await this.refuseError(report, kind, error, claimedFingerprint(bytes));
      return null;
    }
  }

  /** GET rotations.json and walk it forward; all or nothing, persisted only after success. */
  private async followChain(ctx: Context, report: CycleReport): Promise<'advanced' | 'nothing' | 'refused' | 'unavailable'> {
    const bytes = await this.get(new URL(FEED_FILES.rotations, this.feedUrl), 'rotation', LIMITS.rotationsBytes, report);
    if (!bytes) return 'unavailable';
    let statements: string[];
    try {
      const doc = RotationsDocumentSchema.parse(JSON.parse(bytes.toString('utf8')));
      statements = doc.statements.map((s) => JSON.stringify(s) ?? 'null');
    } catch {
      await this.refuse(report, 'rotation', 'malformed', 'rotations.json is not a rotation chain document', null);
      return 'refused';
    }
    await this.learnVersionFromChain(ctx, statements);
    // A certificate this chain never names (and whose version no head gave) cannot be followed through it.
    if (!(await this.loadMeta()).trustVersionKnown) return 'nothing';
    const from = ctx.trust.state;
    let next: TrustState;
    try {
      next = await (this.options.rotationCache ? this.options.rotationCache.follow(from, statements) : followRotations(from, statements));
    } catch (error) {
      await this.refuseError(report, 'rotation', error, newestNextFingerprint(statements));
      return 'refused';
    }
    if (next.version === from.version) return 'nothing';
    await this.saveTrust(ctx, next);
    report.rotatedBy += next.version - from.version;
    this.emit({ type: 'rotated', fromVersion: from.version, toVersion: next.version, fingerprintSha256: next.fingerprintSha256 });
    return 'advanced';
  }

  /**
   * Which version the chain says our own certificate is. Needed after `--trust` or `import-cert`
   * (a .cer carries no version), and whenever the server's numbering changed under us: a server
   * set up again from a bare .pfx calls its certificate version 1, renews to version 2, and an
   * agent that knew that certificate as version 5 would otherwise take the statement for
   * history. Only a statement that names our certificate and carries a valid signature by our
   * own key is believed (nobody else can make one); one that names it as `previous` says where
   * the walk starts, so it wins over one that names it as `next`. A chain that names it nowhere
   * changes nothing - in particular an empty or unreadable chain never pins a version.
   */
  private async learnVersionFromChain(ctx: Context, statements: readonly string[]): Promise<void> {
    const state = ctx.trust.state;
    const trusted = this.verifier.certificate(state.certificate);
    const ours = thumbprintB64url(state.certificate);
    let asPrevious: number | null = null;
    let asNext: number | null = null;
    for (const text of statements) {
      let parsed: ReturnType<typeof parseRotationStatement>;
      try {
        parsed = parseRotationStatement(text);
      } catch {
        continue;
      }
      const { payload, jws } = parsed;
      const isPrevious = payload.previous.fingerprintSha256 === state.fingerprintSha256;
      const isNext = payload.next.fingerprintSha256 === state.fingerprintSha256;
      if (!isPrevious && !isNext) continue;
      const signedByUs = jws.signatures.some((s) => {
        try {
          const header = readHeader(parseJsonBytes(decodeB64url(s.protected, 'header'), 'header'), ROTATION_TYP, 'rotation statement');
          if (header['x5t#S256'] !== ours) return false;
          return cryptoVerify('sha256', Buffer.from(`${s.protected}.${jws.payload}`, 'ascii'), { key: trusted.publicKey, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }, decodeB64url(s.signature, 'signature'));
        } catch {
          return false;
        }
      });
      if (!signedByUs) continue;
      if (isPrevious) asPrevious = Math.max(asPrevious ?? 0, payload.previous.version);
      if (isNext) asNext = Math.max(asNext ?? 0, payload.version);
    }
    const version = asPrevious ?? asNext;
    if (version === null) return;
    if (version !== state.version || !(await this.loadMeta()).trustVersionKnown) await this.setVersion(ctx, version, 'chain');
  }

  private async setVersion(ctx: Context, version: number, from: 'head' | 'chain'): Promise<void> {
    // Written even when the number is unchanged: the write is conditional on the trust state
    // being the one this cycle read, so a certificate imported meanwhile is not marked "known".
    await this.saveTrust(ctx, { ...ctx.trust.state, version });
    await this.saveMeta((m) => (m.trustVersionKnown = true));
    this.emit({ type: 'version-learnt', version, from });
  }

  // ---- network --------------------------------------------------------------------------

  private requestBase() {
    return { timeoutMs: this.options.timeoutMs, connectTimeoutMs: this.options.connectTimeoutMs, signal: this.abort.signal };
  }

  /** Transport failures that are the server's doing (slow, endless, too large) are refusals; an outage is not. */
  private async transportFailure(error: unknown, url: URL, kind: string, report: CycleReport): Promise<null> {
    if (!(error instanceof TransportError)) throw error;
    if (error.reason === 'aborted') throw new Stopped();
    if (error.reason === 'timeout' || error.reason === 'oversized') {
      await this.refuse(report, kind, error.reason, `${url.pathname}: ${error.message}`, null);
      return null;
    }
    report.offline = true;
    this.emit({ type: 'offline', url: url.href, message: error.message });
    return null;
  }

  private async get(url: URL, kind: string, maxBytes: number, report: CycleReport): Promise<Buffer | null> {
    try {
      const response = await this.transport.request({ method: 'GET', url, maxBytes, ...this.requestBase() });
      if (response.status === 200) return response.body;
      report.offline = true;
      this.emit({ type: 'offline', url: url.href, message: `HTTP ${response.status}` });
      return null;
    } catch (error) {
      return this.transportFailure(error, url, kind, report);
    }
  }

  /** POSTs `body` (already JSON: its exact bytes are what the signed answer must name). */
  /** Posts a signed request; `bodySha256` is the body's requestSha256, which the caller also checks the answer against. */
  private async post(path: string, body: string, bodySha256: string, report: CycleReport): Promise<Buffer | null> {
    const url = new URL(path.slice(1), this.serverUrl);
    try {
      const headers = (await this.loadKey()).headers('POST', path, bodySha256);
      const response = await this.transport.request({ method: 'POST', url, body, headers, contentType: 'application/json', maxBytes: LIMITS.messageBytes, ...this.requestBase() });
      if (response.status === 200) return response.body;
      report.offline = true;
      this.emit({ type: 'offline', url: url.href, message: `HTTP ${response.status}` });
      return null;
    } catch (error) {
      return this.transportFailure(error, url, 'endpoint-response', report);
    }
  }

  // ---- 1. the feed ----------------------------------------------------------------------

  private async syncFeed(ctx: Context, report: CycleReport): Promise<void> {
    if (!(await this.loadMeta()).trustVersionKnown) {
      ctx.rotationTried = true;
      await this.followChain(ctx, report);
    }
    const headUrl = new URL(FEED_FILES.head, this.feedUrl);
    const bytes = await this.get(headUrl, 'notification', LIMITS.messageBytes, report);
    if (!bytes) return;
    const digest = sha256(bytes);
    if (this.lastHead?.sha256 === digest && this.lastHead.fingerprint === ctx.trust.state.fingerprintSha256) return;
    const message = await this.accept(bytes, 'notification', ctx, report, true);
    if (message === null || message === 'repeat') return;
    const parsed = FeedHeadSchema.safeParse(message.body);
    if (!parsed.success) return this.refuse(report, 'notification', 'malformed', 'The feed head body is not a cm-feed/1 document', message.signerFingerprintSha256);
    const head = parsed.data;
    // A head signed by our own certificate says which version that certificate is - always, not
    // only when we did not know: the server's numbering restarts when a lost machine is set up
    // again from a .pfx, and the next renewal would otherwise look like history to us. Only the
    // trusted key can sign this, and rollback stays impossible: it is refused by fingerprint
    // (the replaced list), not by number.
    if (head.certificate.fingerprintSha256 === ctx.trust.state.fingerprintSha256 && (head.certificate.version !== ctx.trust.state.version || !(await this.loadMeta()).trustVersionKnown))
      await this.setVersion(ctx, head.certificate.version, 'head');

    let complete = true;
    const failedKinds = new Set<string>();
    for (const doc of [...head.documents].sort((a, b) => a.seq - b.seq)) {
      if (failedKinds.has(doc.kind)) continue;
      if ((ctx.trust.state.lastSeq[doc.kind] ?? -1) >= doc.seq) continue;
      if (!(await this.processDocument(doc, headUrl, ctx, report))) {
        complete = false;
        failedKinds.add(doc.kind);
      }
    }
    for (const notice of head.notices) this.emit({ type: 'notice', notice });
    // Committed last: while a document keeps failing, the head is taken again and the document retried.
    if (!complete) return;
    await this.commit(ctx, message);
    this.lastHead = { sha256: digest, fingerprint: ctx.trust.state.fingerprintSha256 };
  }

  private async processDocument(doc: FeedDocumentRef, headUrl: URL, ctx: Context, report: CycleReport): Promise<boolean> {
    const bytes = await this.get(new URL(doc.path, headUrl), doc.kind, LIMITS.messageBytes, report);
    if (!bytes) return false;
    if (bytes.length !== doc.size || sha256(bytes) !== doc.sha256) {
      await this.refuse(report, doc.kind, 'hash-mismatch', `${doc.path} does not match the SHA-256 the signed feed head names for it`, claimedFingerprint(bytes));
      return false;
    }
    const message = await this.accept(bytes, doc.kind, ctx, report, false);
    if (message === null || message === 'repeat') return false;
    if (message.seq !== doc.seq) {
      await this.refuse(report, doc.kind, 'malformed', `${doc.path} has sequence number ${message.seq}, not the ${doc.seq} the head names`, message.signerFingerprintSha256);
      return false;
    }
    if (message.kind === 'settings') {
      const settings = FeedSettingsSchema.safeParse(message.body);
      if (!settings.success) {
        await this.refuse(report, 'settings', 'malformed', 'The settings body is not valid', message.signerFingerprintSha256);
        return false;
      }
      await this.saveMeta((m) => (m.settings = settings.data));
      this.emit({ type: 'settings', settings: settings.data });
    } else if (message.kind === 'hotfix-manifest') {
      if (!(await this.installHotfix(message.body, headUrl, message.signerFingerprintSha256, report))) return false;
    }
    await this.commit(ctx, message);
    return true;
  }

  private async installHotfix(manifest: ContentManifest, headUrl: URL, signer: string, report: CycleReport): Promise<boolean> {
    if ((await this.loadMeta()).hotfixes[manifest.sha256]) return true;
    if (manifest.size > LIMITS.hotfixBytes) {
      await this.refuse(report, 'hotfix-content', 'oversized', `"${manifest.name}" is ${manifest.size} bytes; this agent takes at most ${LIMITS.hotfixBytes}`, signer);
      return false;
    }
    const url = new URL(manifest.url, headUrl);
    const check = new ContentCheck(manifest);
    const chunks: Buffer[] = [];
    try {
      // One byte of slack, so that content that is too long is judged by its manifest ('hash-mismatch').
      const response = await this.transport.request({
        method: 'GET',
        url,
        maxBytes: manifest.size + 1,
        onChunk: (chunk) => {
          check.update(chunk);
          chunks.push(chunk);
        },
        ...this.requestBase(),
        timeoutMs: (this.options.timeoutMs ?? 30_000) + Math.ceil(manifest.size / 100_000) * 1000,
      });
      if (response.status !== 200) {
        report.offline = true;
        this.emit({ type: 'offline', url: url.href, message: `HTTP ${response.status}` });
        return false;
      }
      check.finish();
    } catch (error) {
      if (error instanceof TransportError && error.reason === 'oversized') {
        await this.refuse(report, 'hotfix-content', 'hash-mismatch', `"${manifest.name}" is larger than its manifest says`, signer);
        return false;
      }
      if (error instanceof TrustError) {
        await this.refuseError(report, 'hotfix-content', error, signer);
        return false;
      }
      await this.transportFailure(error, url, 'hotfix-content', report);
      return false;
    }
    await this.storage.saveHotfix(manifest, Buffer.concat(chunks));
    await this.saveMeta((m) => (m.hotfixes[manifest.sha256] = { name: manifest.name, version: manifest.version, installedAt: this.now().toISOString() }));
    this.emit({ type: 'hotfix', manifest });
    return true;
  }

  // ---- 2. check-in ----------------------------------------------------------------------

  private async checkIn(ctx: Context | null, report: CycleReport): Promise<void> {
    const meta = await this.loadMeta();
    const nonce = newNonce();
    const state = ctx?.trust.state;
    const request = JSON.stringify({
      agentId: meta.agentId,
      hostname: this.options.hostname ?? null,
      agentVersion: this.options.agentVersion ?? null,
      trustedFingerprint: state?.fingerprintSha256 ?? '',
      trustedVersion: state && meta.trustVersionKnown ? state.version : 0,
      nonce,
      sentAt: this.now().toISOString(),
    });
    const sent = requestSha256(request);
    const bytes = await this.post(API_PATHS.checkIn, request, sent, report);
    if (!bytes || !ctx) return;
    const message = await this.accept(bytes, 'endpoint-response', ctx, report, false);
    if (message === null || message === 'repeat') return;
    const body = CheckInResponseSchema.safeParse(message.body);
    if (!body.success) return this.refuse(report, 'endpoint-response', 'malformed', 'The check-in response body is not valid', message.signerFingerprintSha256);
    if (body.data.agentId !== meta.agentId || body.data.nonce !== nonce)
      return this.refuse(report, 'endpoint-response', 'replay', 'The check-in response answers another request', message.signerFingerprintSha256);
    // The server must have heard what this agent said (which certificate it trusts).
    if (body.data.requestSha256 !== sent) {
      await this.commit(ctx, message);
      return this.refuse(report, 'endpoint-response', 'request-altered', 'The server received another check-in than this agent sent', message.signerFingerprintSha256);
    }
    await this.commit(ctx, message);
    this.checkedIn = true;
    this.lastFingerprint = ctx.trust.state.fingerprintSha256;
    report.checkedIn = true;
    this.emit({ type: 'checked-in', trusted: body.data.trusted, serverVersion: body.data.certificate.version });
  }

  // ---- 3. upload ------------------------------------------------------------------------

  private async uploadDue(): Promise<boolean> {
    const meta = await this.loadMeta();
    const now = this.now().getTime();
    if (meta.upload.nextAt === null) {
      // First run: a random point in the first interval, so a fleet installed at once spreads out.
      const nextAt = new Date(now + this.random() * this.uploadIntervalMs()).toISOString();
      await this.saveMeta((m) => (m.upload = { nextAt, attempts: 0 }));
      return false;
    }
    return now >= Date.parse(meta.upload.nextAt);
  }

  private async forgetRepeats(ids: readonly string[]): Promise<void> {
    const meta = await this.loadMeta();
    if (ids.some((id) => id in meta.repeats)) await this.saveMeta((m) => ids.forEach((id) => delete m.repeats[id]));
  }

  private async scheduleUpload(success: boolean): Promise<void> {
    const now = this.now().getTime();
    const interval = this.uploadIntervalMs();
    if (success) {
      const nextAt = new Date(now + interval * (0.9 + 0.2 * this.random())).toISOString();
      await this.saveMeta((m) => (m.upload = { nextAt, attempts: 0 }));
      return;
    }
    const meta = await this.loadMeta();
    const attempts = meta.upload.attempts + 1;
    const base = this.options.backoff?.baseMs ?? DEFAULT_BACKOFF.baseMs;
    const ceiling = Math.min(this.options.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs, interval);
    const delay = Math.min(ceiling, base * 2 ** Math.min(attempts - 1, 30));
    // "Equal jitter": half the delay fixed, half random, so retries of a fleet spread out.
    const nextAt = new Date(now + delay / 2 + (this.random() * delay) / 2).toISOString();
    await this.saveMeta((m) => (m.upload = { nextAt, attempts }));
    this.emit({ type: 'upload-failed', attempts, nextAt });
  }

  private async upload(ctx: Context | null, report: CycleReport): Promise<void> {
    const meta = await this.loadMeta();
    // Records already sent in this attempt: a batch whose answer did not hold is kept, and the
    // next batch is tried, so one bad answer does not keep every later record off the server.
    const tried = new Set<string>();
    let ok = true;
    for (let batchNo = 0; batchNo < MAX_BATCHES_PER_UPLOAD; batchNo++) {
      const batch = (await this.storage.readSpool()).filter((r) => !tried.has(r.id)).slice(0, LIMITS.uploadBatchRecords);
      if (batch.length === 0) break;
      for (const r of batch) tried.add(r.id);
      const nonce = newNonce();
      // Records spooled under an earlier identity (agent.json recreated) are this machine's too;
      // a record that repeated says how often, and when last.
      const repeats = (await this.loadMeta()).repeats;
      const outgoing = batch.map((r) => withRepeats({ ...r, agentId: meta.agentId }, repeats[r.id]));
      // Records go without their agentId (the upload names it once; the server fills it in):
      // a quarter of the body, hashed, parsed and checked on both ends for nothing.
      const records = outgoing.map(({ agentId: _agentId, ...record }) => record);
      const request = JSON.stringify({ agentId: meta.agentId, nonce, sentAt: this.now().toISOString(), records });
      const sent = requestSha256(request);
      const bytes = await this.post(API_PATHS.authFailures, request, sent, report);
      // No answer (an outage), or no trusted certificate to check the answer with: keep the records, retry later.
      if (!bytes || !ctx) {
        ok = false;
        break;
      }
      // After one answer did not hold, the rest are still delivered (the server stores them
      // once, whatever happens later), but not judged again: one refusal per attempt is enough.
      if (!ok) continue;
      const message = await this.accept(bytes, 'endpoint-response', ctx, report, false);
      if (message === null || message === 'repeat') {
        ok = false;
        continue;
      }
      const ack = UploadAckSchema.safeParse(message.body);
      if (!ack.success || ack.data.agentId !== meta.agentId || ack.data.nonce !== nonce) {
        await this.refuse(report, 'endpoint-response', ack.success ? 'replay' : 'malformed', 'The upload acknowledgement does not answer this upload', message.signerFingerprintSha256);
        ok = false;
        continue;
      }
      await this.commit(ctx, message);
      if (ack.data.requestSha256 !== sent) {
        // Rewritten on the way: the server now holds other content under these ids, and would
        // call the true records duplicates later. So they are spooled again under new ids (the
        // originals' ids go into the detail), and the attempt stops: the refusal is not sent
        // through the same path that just rewrote an upload.
        await this.storage.appendFailures(outgoing.map((r) => ({ ...r, id: randomUUID(), detail: `${r.detail ?? ''} [sent again as a new record: upload ${r.id} was altered on the way]`.trim().slice(0, 1024) })));
        await this.storage.removeFromSpool(new Set(batch.map((r) => r.id)));
        await this.forgetRepeats(batch.map((r) => r.id));
        await this.refuse(report, 'endpoint-response', 'request-altered', 'The server received another upload than this agent sent', message.signerFingerprintSha256);
        ok = false;
        break;
      }
      // A record leaves the spool only when the server says it holds *this content* under its id.
      // Other content under one of our ids (stored by an earlier, altered upload) means the true
      // record is not on the server: it is spooled again under a new id.
      if (ack.data.stored.length !== outgoing.length) {
        await this.refuse(report, 'endpoint-response', 'malformed', 'The upload acknowledgement does not name one stored content per record sent', message.signerFingerprintSha256);
        ok = false;
        continue;
      }
      const acknowledged = new Set<string>();
      const done = new Set<string>();
      const displaced: AuthFailureRecord[] = [];
      outgoing.forEach((r, i) => {
        const held = ack.data.stored[i];
        if (held === null || held === undefined) return;
        done.add(r.id);
        if (held === recordSha256(r)) acknowledged.add(r.id);
        else displaced.push({ ...r, id: randomUUID(), detail: `${r.detail ?? ''} [sent again as a new record: the server holds other content under ${r.id}]`.trim().slice(0, 1024) });
      });
      // Spooled again under new ids first, so a crash between the two writes loses nothing.
      if (displaced.length > 0) await this.storage.appendFailures(displaced);
      await this.storage.removeFromSpool(done);
      await this.forgetRepeats([...done]);
      report.uploaded += acknowledged.size;
      this.emit({ type: 'uploaded', count: acknowledged.size, duplicates: ack.data.duplicates });
    }
    await this.scheduleUpload(ok);
  }
}

/** For a refused chain: the fingerprint the newest statement wanted the agent to trust. */
function newestNextFingerprint(statements: readonly string[]): string | null {
  let best: { version: number; fp: string } | null = null;
  for (const text of statements) {
    try {
      const { payload } = parseRotationStatement(text);
      if (!best || payload.version > best.version) best = { version: payload.version, fp: payload.next.fingerprintSha256 };
    } catch {
      // unreadable statements name nothing
    }
  }
  return best?.fp ?? null;
}

/** A spooled record as uploaded: with how often it repeated, and when last, in its detail. */
function withRepeats(record: AuthFailureRecord, repeat: { count: number; last: string } | undefined): AuthFailureRecord {
  if (!repeat) return record;
  const note = `(refused ${repeat.count} times in all, the last at ${repeat.last})`;
  // The note is kept whole; the original detail gives way if the two do not fit.
  const detail = record.detail ? `${record.detail.slice(0, 1024 - note.length - 1)} ${note}` : note;
  return { ...record, detail };
}
