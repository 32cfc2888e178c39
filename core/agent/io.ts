/**
 * The agent's plumbing, shared by feed sync, check-in and upload: its identity (key and
 * agent.json), its refusal log (the spool), its requests to the server and the feed, and its
 * events. Nothing here decides what the agent trusts; that is core/trust's TrustState, reached
 * through session.ts.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import type { AuthFailureRecord } from '../schemas.js';
import { TrustError } from '../trust/index.js';
import { FEED_PREFIX, LIMITS } from '../protocol/wire.js';
import { AgentKey, generateAgentKey } from '../protocol/request-auth.js';
import { HttpTransport, TransportError, type Transport } from './transport.js';
import { newAgentMeta, type AgentMeta, type AgentStorage } from './storage.js';
import type { AgentEvent, AgentOptions, CycleReport } from './types.js';

/** stop() was called while a request was under way: the cycle ends quietly. */
export class Stopped extends Error {}

export class AgentIO {
  readonly serverUrl: URL;
  readonly feedUrl: URL;
  readonly storage: AgentStorage;
  readonly transport: Transport;
  readonly now: () => Date;
  readonly random: () => number;
  private meta: AgentMeta | null = null;
  private key: AgentKey | null = null;
  abort = new AbortController();

  constructor(readonly options: AgentOptions) {
    this.serverUrl = new URL(String(options.serverUrl));
    if (!this.serverUrl.pathname.endsWith('/')) this.serverUrl.pathname += '/';
    this.feedUrl = new URL(String(options.feedUrl ?? new URL(FEED_PREFIX.slice(1), this.serverUrl)));
    if (!this.feedUrl.pathname.endsWith('/')) this.feedUrl.pathname += '/';
    this.storage = options.storage;
    this.transport = options.transport ?? new HttpTransport();
    this.now = options.now ?? (() => new Date());
    this.random = options.random ?? Math.random;
  }

  emit(event: AgentEvent): void {
    this.options.onEvent?.(event);
  }

  // ---- identity -------------------------------------------------------------------------

  /**
   * The agent's own key, made on first use. Its hash is the agent id, so an agent re-installed
   * (new state folder, new key) is a new agent, and the old one goes stale on the server.
   */
  async loadKey(): Promise<AgentKey> {
    if (this.key) return this.key;
    const pem = (await this.storage.loadAgentKey()) ?? (await this.storage.createAgentKey(generateAgentKey()));
    this.key = new AgentKey(createPrivateKey(pem));
    return this.key;
  }

  /** The cached agent.json, if loaded. */
  cachedMeta(): AgentMeta | null {
    return this.meta;
  }

  /** Forget the cached agent.json (another process may have written it). */
  forgetMeta(): void {
    this.meta = null;
  }

  async loadMeta(): Promise<AgentMeta> {
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
  async saveMeta(change: (meta: AgentMeta) => void): Promise<void> {
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
  async refuse(report: CycleReport, messageKind: string, reason: string, detail: string, fingerprintSeen: string | null): Promise<void> {
    const meta = await this.loadMeta();
    const time = this.now().toISOString();
    const lastRefusal = { messageKind, reason: reason.slice(0, 64), time };
    const waiting = (await this.storage.readSpool()).find((r) => r.messageKind === messageKind && r.reason === reason && r.fingerprintSeen === fingerprintSeen);
    if (waiting) {
      await this.saveMeta((m) => {
        m.repeats[waiting.id] = { count: (m.repeats[waiting.id]?.count ?? 1) + 1, last: time };
        m.lastRefusal = lastRefusal;
      });
      report.refused.push(waiting);
      this.emit({ type: 'refused', record: waiting });
      return;
    }
    const record: AuthFailureRecord = { id: randomUUID(), agentId: meta.agentId, time, messageKind, reason, fingerprintSeen, detail: detail.slice(0, 1024) };
    const dropped = await this.storage.appendFailures([record]);
    await this.saveMeta((m) => {
      m.droppedRecords += dropped;
      m.lastRefusal = lastRefusal;
    });
    report.refused.push(record);
    this.emit({ type: 'refused', record });
  }

  refuseError(report: CycleReport, messageKind: string, error: unknown, fingerprintSeen: string | null): Promise<void> {
    if (error instanceof TrustError) return this.refuse(report, messageKind, error.reason, error.message, fingerprintSeen);
    throw error;
  }

  // ---- network --------------------------------------------------------------------------

  requestBase() {
    return { timeoutMs: this.options.timeoutMs, connectTimeoutMs: this.options.connectTimeoutMs, signal: this.abort.signal };
  }

  /** Transport failures that are the server's doing (slow, endless, too large) are refusals; an outage is not. */
  async transportFailure(error: unknown, url: URL, kind: string, report: CycleReport): Promise<null> {
    if (!(error instanceof TransportError)) throw error;
    if (error.reason === 'aborted') throw new Stopped();
    if (error.reason === 'timeout' || error.reason === 'oversized') {
      await this.refuse(report, kind, error.reason, `${url.pathname}: ${error.message}`, null);
      return null;
    }
    this.offline(report, url, error.message);
    return null;
  }

  offline(report: CycleReport, url: URL, message: string): void {
    report.offline = true;
    report.lastOffline = `${url.pathname}: ${message}`;
    this.emit({ type: 'offline', url: url.href, message });
  }

  /** GET: the body, or null after an outage or a refusal (logged). With `absent`, a 404 is an answer, not an outage. */
  async get(url: URL, kind: string, maxBytes: number, report: CycleReport): Promise<Buffer | null>;
  async get(url: URL, kind: string, maxBytes: number, report: CycleReport, options: { absent: true }): Promise<Buffer | 'absent' | null>;
  async get(url: URL, kind: string, maxBytes: number, report: CycleReport, options: { absent?: boolean } = {}): Promise<Buffer | 'absent' | null> {
    try {
      const response = await this.transport.request({ method: 'GET', url, maxBytes, ...this.requestBase() });
      if (response.status === 200) return response.body;
      if (response.status === 404 && options.absent) return 'absent';
      this.offline(report, url, `HTTP ${response.status}`);
      return null;
    } catch (error) {
      return this.transportFailure(error, url, kind, report);
    }
  }

  /** POSTs `body` (already JSON: its exact bytes are what the signed answer must name). */
  /** Posts a signed request; `bodySha256` is the body's requestSha256, which the caller also checks the answer against. */
  async post(path: string, body: string, bodySha256: string, report: CycleReport): Promise<Buffer | null> {
    const url = new URL(path.slice(1), this.serverUrl);
    try {
      const headers = (await this.loadKey()).headers('POST', path, bodySha256);
      const response = await this.transport.request({ method: 'POST', url, body, headers, contentType: 'application/json', maxBytes: LIMITS.messageBytes, ...this.requestBase() });
      if (response.status === 200) return response.body;
      this.offline(report, url, `HTTP ${response.status}`);
      return null;
    } catch (error) {
      return this.transportFailure(error, url, 'endpoint-response', report);
    }
  }
}
