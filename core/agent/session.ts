/**
 * One cycle's view of the agent's trust: the TrustState read at the start of the cycle and the
 * token its compare-and-swap write needs. Every message from the server is verified here with
 * the one verifier (core/trust/verifier.ts), and every new state core/trust made is written
 * here, whole, in one atomic write. This file decides nothing about trust itself: which
 * changes are allowed is TrustState's business.
 */
import { isRepeatOfLastAccepted, isTrustError, type MessageKind, type TrustState, type VerifiedMessage } from '../trust/index.js';
import type { MessageVerifier } from '../trust/verifier.js';
import { LIMITS } from '../protocol/wire.js';
import type { AgentIO } from './io.js';
import type { TrustSnapshot } from './storage.js';
import type { CycleReport } from './types.js';

/** Tolerance on iat/exp for answers bound to their request by a nonce (check-in, upload). */
const NONCE_BOUND_CLOCK_SKEW_SECONDS = 24 * 3600;

/** What a walk of the rotation chain came to (feed-sync.ts). */
export type ChainOutcome = 'advanced' | 'nothing' | 'refused' | 'unavailable';

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

export class TrustSession {
  /** The chain is followed at most once per cycle (an 'untrusted-key' answer asks for it). */
  rotationTried = false;

  constructor(
    private snapshot: TrustSnapshot,
    private readonly io: AgentIO,
    private readonly verifier: MessageVerifier,
    private readonly followChain: (session: TrustSession, report: CycleReport, target: string | null) => Promise<ChainOutcome>,
    private readonly onSaved: (token: string) => void,
  ) {}

  get state(): TrustState {
    return this.snapshot.state;
  }

  /** Writes a state core/trust made from this one (compare-and-swap: import-cert wins a race). */
  async save(next: TrustState): Promise<void> {
    if (next === this.snapshot.state) return;
    const token = await this.io.storage.saveTrust(next, this.snapshot.token);
    this.snapshot = { state: next, token };
    this.onSaved(token);
  }

  /** Records a message as accepted (its seq, under the key that signed it). Act on it only after this. */
  commit(message: VerifiedMessage): Promise<void> {
    return this.save(this.state.accept(message));
  }

  /**
   * Verifies a message from the server. On 'untrusted-key' it follows the rotation chain once
   * and tries again. Returns the message, 'repeat' (the same feed item fetched again, when
   * that is benign on this channel), or null after a refusal, which is logged.
   */
  async accept(bytes: Buffer, kind: MessageKind, report: CycleReport, repeatIsBenign: boolean): Promise<VerifiedMessage | 'repeat' | null> {
    // An API answer is bound to its request by the nonce it echoes, so its freshness does not
    // rest on the clock: an agent whose clock is minutes off must still be able to check in.
    const clockSkewSeconds = kind === 'endpoint-response' ? NONCE_BOUND_CLOCK_SKEW_SECONDS : undefined;
    const attempt = () => this.verifier.verify(bytes, this.state, { kinds: [kind], now: this.io.now(), maxBytes: LIMITS.messageBytes, clockSkewSeconds });
    try {
      return attempt();
    } catch (error) {
      if (repeatIsBenign && isRepeatOfLastAccepted(error)) return 'repeat';
      if (isTrustError(error, 'untrusted-key') && !this.rotationTried) {
        this.rotationTried = true;
        // The fingerprint the message claims is where the walk may stop (it is verified after).
        const outcome = await this.followChain(this, report, claimedFingerprint(bytes));
        if (outcome === 'refused') return null; // the chain's own refusal is the one logged
        if (outcome === 'advanced') {
          try {
            return attempt();
          } catch (again) {
            if (repeatIsBenign && isRepeatOfLastAccepted(again)) return 'repeat';
            await this.io.refuseError(report, kind, again, claimedFingerprint(bytes));
            return null;
          }
        }
      }
      await this.io.refuseError(report, kind, error, claimedFingerprint(bytes));
      return null;
    }
  }
}
