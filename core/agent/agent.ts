/**
 * The reference agent, as a coordinator. It trusts one server certificate, verifies every
 * message from the server with it, follows the server's key rotations, refuses everything
 * else, writes an auth-failure record for every refusal and uploads those records.
 *
 * One cycle (runOnce), one at a time:
 *   1. feed sync (feed-sync.ts): the signed head, its documents, the rotation chain;
 *   2. check-in (check-in.ts): on the first cycle, after the trusted certificate changed, and
 *      with each upload;
 *   3. upload (upload.ts): when due, every 60 minutes with jitter, or forced.
 * What the agent trusts changes only in core/trust's TrustState; session.ts verifies with the
 * one verifier and writes each new state in one atomic compare-and-swap write.
 *
 * Clock, timers, randomness, transport and storage are injected, so the simulator runs
 * thousands of agents in one process and tests drive time by hand. The CLI wraps this class.
 */
import { TrustError } from '../trust/index.js';
import { sharedVerifier, type MessageVerifier } from '../trust/verifier.js';
import { checkIn } from './check-in.js';
import { FeedSync } from './feed-sync.js';
import { AgentIO, Stopped } from './io.js';
import { TrustSession } from './session.js';
import { TrustStateChanged, type TrustSnapshot } from './storage.js';
import { Uploader } from './upload.js';
import { DEFAULT_POLL_INTERVAL_SECONDS, newCycleReport, realTimers, type AgentOptions, type AgentTimers, type CycleReport, type RunOptions } from './types.js';

export { claimedFingerprint } from './session.js';
export {
  realTimers,
  DEFAULT_BACKOFF,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_UPLOAD_INTERVAL_MINUTES,
  type AgentEvent,
  type AgentOptions,
  type AgentTimers,
  type CycleReport,
  type RunOptions,
} from './types.js';

export class Agent {
  readonly serverUrl: URL;
  readonly feedUrl: URL;
  private readonly io: AgentIO;
  private readonly feed: FeedSync;
  private readonly uploader: Uploader;
  private readonly verifier: MessageVerifier;
  private readonly timers: AgentTimers;
  private mutex: Promise<unknown> = Promise.resolve();
  private running = false;
  private timer: unknown = null;
  private nextPollAt = 0;
  private checkedIn = false;
  private lastFingerprint: string | null = null;
  /** Freshness as the server last heard it: a change is told at once, not at the next upload. */
  private reportedHealth: string | null = null;
  private trustStateRefusalLogged = false;
  /** The trust state's token as this agent last read or wrote it. */
  private lastTrustToken: string | null = null;

  constructor(private readonly options: AgentOptions) {
    this.io = new AgentIO(options);
    this.serverUrl = this.io.serverUrl;
    this.feedUrl = this.io.feedUrl;
    this.feed = new FeedSync(this.io);
    this.uploader = new Uploader(this.io);
    this.verifier = options.verifier ?? sharedVerifier;
    this.timers = options.timers ?? realTimers;
  }

  /** The agent id (created and persisted on first use). */
  async agentId(): Promise<string> {
    return (await this.io.loadMeta()).agentId;
  }

  /** One cycle: feed, check-in, upload (see the file comment). Never throws for network or trust problems. */
  runOnce(options: RunOptions = {}): Promise<CycleReport> {
    return this.exclusive(async () => {
      const report = newCycleReport();
      try {
        await this.io.loadMeta();
        const session = await this.openSession(report);
        if (session) {
          await this.feed.sync(session, report);
          await this.feed.watchFreshness(session, report);
        }
        const fingerprint = session?.state.fingerprintSha256 ?? null;
        const health = await this.health(session, report);
        const uploadMode = options.upload ?? 'due';
        const uploadDue = uploadMode === 'force' || (uploadMode === 'due' && (await this.uploader.due()));
        const checkInMode = options.checkIn ?? 'auto';
        const changed = !this.checkedIn || fingerprint !== this.lastFingerprint || health !== this.reportedHealth;
        if (checkInMode === 'always' || (checkInMode === 'auto' && (changed || uploadDue))) {
          if (await checkIn(this.io, session, report)) {
            this.checkedIn = true;
            this.lastFingerprint = session!.state.fingerprintSha256;
            this.reportedHealth = health;
          }
        }
        if (uploadDue) await this.uploader.upload(session, report);
        report.fingerprintSha256 = session?.state.fingerprintSha256 ?? null;
        report.version = session?.state.version ?? null;
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
    this.io.abort = new AbortController();
    this.nextPollAt = this.io.now().getTime();
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer !== null) this.timers.clearTimeout(this.timer);
    this.timer = null;
    this.io.abort.abort();
    await this.mutex.catch(() => undefined);
  }

  private schedule(delayMs: number): void {
    if (!this.running) return;
    this.timer = this.timers.setTimeout(() => void this.tick(), Math.max(0, Math.min(delayMs, 2 ** 31 - 1)));
  }

  private async tick(): Promise<void> {
    this.timer = null;
    if (!this.running) return;
    const now = this.io.now().getTime();
    const pollDue = now >= this.nextPollAt;
    // Set before the cycle: a cycle that fails for a local reason (a full disk) must not spin.
    if (pollDue) this.nextPollAt = now + this.pollIntervalMs() * (0.9 + 0.2 * this.io.random());
    try {
      if (pollDue || (await this.uploader.due())) await this.runOnce();
    } catch (error) {
      this.io.emit({ type: 'error', message: (error as Error).message });
    }
    if (!this.running) return;
    // At least a second between wake-ups, whatever the schedule says.
    this.schedule(Math.max(1000, Math.min(this.nextPollAt, this.uploader.nextAt()) - this.io.now().getTime()));
  }

  /**
   * stale, refusing (a refusal since the last verified head, by kind and reason: the same one
   * repeated at every poll is not news) or ok: what the server judges an agent by.
   */
  private async health(session: TrustSession | null, report: CycleReport): Promise<string> {
    if (report.stale) return 'stale';
    const refusal = (await this.io.loadMeta()).lastRefusal;
    const head = session?.state.lastHead;
    return refusal && (!head || Date.parse(refusal.time) > Date.parse(head.verifiedAt)) ? `refusing:${refusal.messageKind}:${refusal.reason}` : 'ok';
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const run = this.mutex.then(work);
    this.mutex = run.catch(() => undefined);
    return run;
  }

  private pollIntervalMs(): number {
    return (this.options.pollIntervalSeconds ?? DEFAULT_POLL_INTERVAL_SECONDS) * 1000;
  }

  /** The trust state as stored now, or null (none, or unreadable: refused and logged once per run). */
  private async openSession(report: CycleReport): Promise<TrustSession | null> {
    let trust: TrustSnapshot | null;
    try {
      trust = await this.io.storage.loadTrust();
    } catch (error) {
      if (!(error instanceof TrustError)) throw error;
      // Logged once per run: every later cycle would only repeat it.
      if (!this.trustStateRefusalLogged) await this.io.refuseError(report, 'trust-state', error, null);
      this.trustStateRefusalLogged = true;
      return null;
    }
    if (!trust) return null;
    this.trustStateRefusalLogged = false;
    if (this.lastTrustToken !== null && trust.token !== this.lastTrustToken) {
      // Replaced by someone else (import-cert): forget what was learnt about the old trust.
      this.io.forgetMeta();
      this.feed.forget();
      this.checkedIn = false;
      await this.io.loadMeta();
    }
    this.lastTrustToken = trust.token;
    return new TrustSession(trust, this.io, this.verifier, this.feed.followChain, (token) => (this.lastTrustToken = token));
  }
}
