/**
 * Feed sync: GET index.jws; verify it (on 'untrusted-key', fetch rotations.json once, follow
 * the chain, persist the new trust state, verify again); then each signed document the head
 * names that is newer than the last one of its kind: GET, SHA-256 against the head, verify,
 * act (settings; hotfix: download, check against its manifest), commit its seq. The head's own
 * seq is committed when all its documents went through.
 */
import { createHash } from 'node:crypto';
import { ContentCheck, DEFAULT_MAX_ROTATION_STEPS, DEFAULT_TTL_SECONDS, MAX_ROTATION_STATEMENT_BYTES, TrustError, parseRotationStatement, type ContentManifest } from '../trust/index.js';
import { FEED_FILES, FeedHeadSchema, FeedSettingsSchema, LIMITS, rotationPath, type FeedDocumentRef } from '../protocol/wire.js';
import { TransportError } from './transport.js';
import type { AgentIO } from './io.js';
import { claimedFingerprint, type ChainOutcome, type TrustSession } from './session.js';
import type { CycleReport } from './types.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

export class FeedSync {
  /**
   * SHA-256 of the last head accepted in full: the same bytes again mean nothing new (no need to
   * verify twice) until that head expires; then they are verified again and refused as expired,
   * so a feed frozen on one head is named for what it is.
   */
  private lastHead: { sha256: string; fingerprint: string; expiresAt: number } | null = null;

  constructor(private readonly io: AgentIO) {}

  /** The trust state was replaced by someone else (import-cert): what was learnt about the old one is void. */
  forget(): void {
    this.lastHead = null;
  }

  async sync(session: TrustSession, report: CycleReport): Promise<void> {
    if (!session.state.versionKnown) {
      session.rotationTried = true;
      await this.followChain(session, report, null);
    }
    const headUrl = new URL(FEED_FILES.head, this.io.feedUrl);
    const bytes = await this.io.get(headUrl, 'notification', LIMITS.messageBytes, report);
    if (!bytes) return;
    const digest = sha256(bytes);
    if (this.lastHead?.sha256 === digest && this.lastHead.fingerprint === session.state.fingerprintSha256 && this.io.now().getTime() < this.lastHead.expiresAt) return;
    const message = await session.accept(bytes, 'notification', report, true);
    if (message === null || message === 'repeat') return;
    const parsed = FeedHeadSchema.safeParse(message.body);
    if (!parsed.success) return this.io.refuse(report, 'notification', 'malformed', 'The feed head body is not a cm-feed/1 document', message.signerFingerprintSha256);
    const head = parsed.data;
    // A head signed by our own certificate says which version that certificate is - always, not
    // only when we did not know: the server's numbering restarts when a lost machine is set up
    // again from a .pfx, and the next renewal would otherwise look like history to us.
    const labelled = session.state.learnVersionFromHead(message, head.certificate);
    if (labelled !== session.state) {
      await session.save(labelled);
      this.io.emit({ type: 'version-learnt', version: labelled.version, from: 'head' });
    }

    let complete = true;
    const failedKinds = new Set<string>();
    for (const doc of [...head.documents].sort((a, b) => a.seq - b.seq)) {
      if (failedKinds.has(doc.kind)) continue;
      if ((session.state.lastSeq[doc.kind] ?? -1) >= doc.seq) continue;
      if (!(await this.processDocument(doc, headUrl, session, report))) {
        complete = false;
        failedKinds.add(doc.kind);
      }
    }
    for (const notice of head.notices) this.io.emit({ type: 'notice', notice });
    // Committed last: while a document keeps failing, the head is taken again and the document retried.
    if (!complete) return;
    await session.save(session.state.acceptHead(message, this.io.now()));
    // Evidence, not trust: a copy of the server's signed commitment to its audit log.
    await this.io.storage.saveHead(bytes);
    this.lastHead = { sha256: digest, fingerprint: session.state.fingerprintSha256, expiresAt: message.exp * 1000 };
  }

  /** Kinds whose refusal already says why the feed gave no fresh head. */
  private static readonly FEED_KINDS = new Set(['notification', 'settings', 'hotfix-manifest', 'hotfix-content', 'rotation']);

  /**
   * After a sync: when no valid head was verified for longer than a head's lifetime (since the
   * agent was set up, if never), the feed is withheld, frozen or broken, and that is evidence the
   * admin must see. It is recorded as `feed-unreachable` with what went wrong, unless this cycle
   * already recorded the exact refusal (an expired or forged head, say). Repeats count on the
   * waiting record, like every refusal.
   */
  async watchFreshness(session: TrustSession, report: CycleReport): Promise<void> {
    const meta = await this.io.loadMeta();
    const now = this.io.now();
    if (!session.state.isStale(now, new Date(meta.createdAt), DEFAULT_TTL_SECONDS)) return;
    report.stale = true;
    if (report.refused.some((r) => FeedSync.FEED_KINDS.has(r.messageKind))) return;
    const head = session.state.lastHead;
    const since = head ? `since ${head.verifiedAt} (a head lives ${head.lifetimeSeconds} s)` : `since this agent was set up at ${meta.createdAt}`;
    const why = report.lastOffline ?? 'the feed answered, but gave no new head';
    await this.io.refuse(report, 'notification', 'feed-unreachable', `No valid feed head ${since}; last problem: ${why}`, null);
  }

  private async processDocument(doc: FeedDocumentRef, headUrl: URL, session: TrustSession, report: CycleReport): Promise<boolean> {
    const bytes = await this.io.get(new URL(doc.path, headUrl), doc.kind, LIMITS.messageBytes, report);
    if (!bytes) return false;
    if (bytes.length !== doc.size || sha256(bytes) !== doc.sha256) {
      await this.io.refuse(report, doc.kind, 'hash-mismatch', `${doc.path} does not match the SHA-256 the signed feed head names for it`, claimedFingerprint(bytes));
      return false;
    }
    const message = await session.accept(bytes, doc.kind, report, false);
    if (message === null || message === 'repeat') return false;
    if (message.seq !== doc.seq) {
      await this.io.refuse(report, doc.kind, 'malformed', `${doc.path} has sequence number ${message.seq}, not the ${doc.seq} the head names`, message.signerFingerprintSha256);
      return false;
    }
    if (message.kind === 'settings') {
      const settings = FeedSettingsSchema.safeParse(message.body);
      if (!settings.success) {
        await this.io.refuse(report, 'settings', 'malformed', 'The settings body is not valid', message.signerFingerprintSha256);
        return false;
      }
      await this.io.saveMeta((m) => (m.settings = settings.data));
      this.io.emit({ type: 'settings', settings: settings.data });
    } else if (message.kind === 'hotfix-manifest') {
      if (!(await this.installHotfix(message.body, headUrl, message.signerFingerprintSha256, report))) return false;
    }
    await session.commit(message);
    return true;
  }

  private async installHotfix(manifest: ContentManifest, headUrl: URL, signer: string, report: CycleReport): Promise<boolean> {
    if ((await this.io.loadMeta()).hotfixes[manifest.sha256]) return true;
    if (manifest.size > LIMITS.hotfixBytes) {
      await this.io.refuse(report, 'hotfix-content', 'oversized', `"${manifest.name}" is ${manifest.size} bytes; this agent takes at most ${LIMITS.hotfixBytes}`, signer);
      return false;
    }
    const url = new URL(manifest.url, headUrl);
    const check = new ContentCheck(manifest);
    const chunks: Buffer[] = [];
    try {
      // One byte of slack, so that content that is too long is judged by its manifest ('hash-mismatch').
      const response = await this.io.transport.request({
        method: 'GET',
        url,
        maxBytes: manifest.size + 1,
        onChunk: (chunk) => {
          check.update(chunk);
          chunks.push(chunk);
        },
        ...this.io.requestBase(),
        timeoutMs: (this.io.options.timeoutMs ?? 30_000) + Math.ceil(manifest.size / 100_000) * 1000,
      });
      if (response.status !== 200) {
        this.io.offline(report, url, `HTTP ${response.status}`);
        return false;
      }
      check.finish();
    } catch (error) {
      if (error instanceof TransportError && error.reason === 'oversized') {
        await this.io.refuse(report, 'hotfix-content', 'hash-mismatch', `"${manifest.name}" is larger than its manifest says`, signer);
        return false;
      }
      if (error instanceof TrustError) {
        await this.io.refuseError(report, 'hotfix-content', error, signer);
        return false;
      }
      await this.io.transportFailure(error, url, 'hotfix-content', report);
      return false;
    }
    await this.io.storage.saveHotfix(manifest, Buffer.concat(chunks));
    await this.io.saveMeta((m) => (m.hotfixes[manifest.sha256] = { name: manifest.name, version: manifest.version, installedAt: this.io.now().toISOString() }));
    this.io.emit({ type: 'hotfix', manifest });
    return true;
  }

  /**
   * Fetches the statements that lead on from the trusted certificate, one file per renewal
   * (rotations/<fingerprint>.json), until nothing leads on (404), the certificate `target` (the
   * one the message that sent us here claims) is reached, or the chain comes back to a
   * certificate already met. At most one more than the steps an agent follows, so an endless
   * chain costs a bounded number of small requests. Nothing here is trusted yet: rotate() verifies.
   */
  private async fetchChain(from: string, target: string | null, report: CycleReport): Promise<string[] | 'unavailable' | 'refused'> {
    const statements: string[] = [];
    const met = new Set([from]);
    for (let i = 0; i <= DEFAULT_MAX_ROTATION_STEPS; i++) {
      const path = rotationPath(from);
      const bytes = await this.io.get(new URL(path, this.io.feedUrl), 'rotation', MAX_ROTATION_STATEMENT_BYTES, report, { absent: true });
      if (bytes === 'absent') break;
      if (bytes === null) return 'unavailable';
      const text = bytes.toString('utf8').trim();
      let next: string;
      try {
        const { payload } = parseRotationStatement(text);
        if (payload.previous.fingerprintSha256 !== from) {
          await this.io.refuse(report, 'rotation', 'chain-broken', `${path} holds a statement that leads from another certificate`, payload.next.fingerprintSha256);
          return 'refused';
        }
        next = payload.next.fingerprintSha256;
      } catch {
        await this.io.refuse(report, 'rotation', 'malformed', `${path} is not a rotation statement`, null);
        return 'refused';
      }
      statements.push(text);
      if (next === target || met.has(next)) break;
      met.add(next);
      from = next;
    }
    return statements;
  }

  /** Fetches the chain from the trusted certificate and walks it forward; all or nothing, persisted only after success. */
  readonly followChain = async (session: TrustSession, report: CycleReport, target: string | null): Promise<ChainOutcome> => {
    const statements = await this.fetchChain(session.state.fingerprintSha256, target, report);
    if (statements === 'unavailable' || statements === 'refused') return statements;
    // After `--trust` or import-cert, which version our certificate is: only our own key can say.
    const labelled = await session.state.learnVersionFromChain(statements);
    if (labelled !== session.state) {
      await session.save(labelled);
      this.io.emit({ type: 'version-learnt', version: labelled.version, from: 'chain' });
    }
    // A certificate this chain never names (and whose version no head gave) cannot be followed through it.
    if (!session.state.versionKnown) return 'nothing';
    const from = session.state;
    let next: typeof from;
    try {
      next = await from.rotate(statements, { cache: this.io.options.rotationCache });
    } catch (error) {
      await this.io.refuseError(report, 'rotation', error, newestNextFingerprint(statements));
      return 'refused';
    }
    if (next.version === from.version) return 'nothing';
    await session.save(next);
    report.rotatedBy += next.version - from.version;
    this.io.emit({ type: 'rotated', fromVersion: from.version, toVersion: next.version, fingerprintSha256: next.fingerprintSha256 });
    return 'advanced';
  };
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
