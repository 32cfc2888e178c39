/**
 * Why an agent refused something. Every refusal in core/trust is a TrustError: a
 * CertManagerError of kind 'bad-input' (the input is hostile or unusable, never a bug of ours)
 * whose `reason` is one of a closed list, so the agent can write it into its auth-failure log
 * and the server can count failures per reason without parsing English.
 */
import { CertManagerError } from '../errors.js';

export const TRUST_FAILURE_REASONS = [
  'forged-signature', // the signature does not verify (or names an algorithm we never sign with)
  'untrusted-key', // signed by, or rotating to, a key the agent has no reason to trust
  'replaced-key', // signed by a key the agent trusted once and has since rotated away from
  'replay', // a sequence number the agent has already accepted (or passed)
  'expired', // past its `exp` (plus the clock-skew allowance)
  'not-yet-valid', // issued in the future (beyond the clock-skew allowance)
  'malformed', // not a well-formed message, statement, manifest or trust state
  'oversized', // larger than the configured bound; refused before parsing
  'wrong-kind', // a valid message of a kind (or JWS type) this channel does not take
  'hash-mismatch', // downloaded content does not match its signed manifest
  'rotation-not-cross-signed', // a rotation statement without signatures by both keys
  'rollback', // an attempt to move trust to an older version or a replaced certificate
  'chain-broken', // rotation statements that do not link to the trusted certificate
  'chain-too-long', // more rotation steps than the agent is willing to walk at once
] as const;

export type TrustFailureReason = (typeof TRUST_FAILURE_REASONS)[number];

/** What to do next, per reason: the second half of every TrustError message. */
const ADVICE: Readonly<Record<TrustFailureReason, string>> = {
  'forged-signature': 'The message was not signed by the server; it was refused and logged.',
  'untrusted-key': 'If the server certificate was renewed, give the agent the rotation chain; otherwise the sender is not the server.',
  'replaced-key': 'The sender uses a server certificate this agent has already rotated away from; it was refused and logged.',
  replay: 'The message was already received once; it was refused and logged.',
  expired: "Check the agent's clock; if it is right, the server must sign the message again.",
  'not-yet-valid': "Check the agent's and the server's clocks.",
  malformed: 'The data is damaged or was not produced by the server; it was refused and logged.',
  oversized: 'The data is larger than an agent accepts; it was refused before it was read.',
  'wrong-kind': 'The message arrived on a channel that does not take its kind; it was refused and logged.',
  'hash-mismatch': 'The download is damaged or was replaced; delete it and download it again.',
  'rotation-not-cross-signed': 'A certificate renewal must be signed by both the old and the new key; this one was refused.',
  rollback: 'The agent never goes back to an older server certificate; this one was refused.',
  'chain-broken': 'The renewal statements do not lead from the trusted certificate; give the agent the full chain from the server.',
  'chain-too-long': 'The agent is too many renewals behind; install the current server certificate on it again.',
};

export class TrustError extends CertManagerError {
  constructor(
    readonly reason: TrustFailureReason,
    /** One sentence saying what was wrong with this input (no secrets). */
    what: string,
    details: Record<string, string | number> = {},
    cause?: unknown,
  ) {
    super(
      'bad-input',
      `TRUST_${reason.toUpperCase().replaceAll('-', '_')}`,
      `${what}. ${ADVICE[reason]}`,
      { ...details, reason },
      { cause },
    );
  }
}

export const isTrustError = (e: unknown, reason?: TrustFailureReason): e is TrustError =>
  e instanceof TrustError && (reason === undefined || e.reason === reason);
