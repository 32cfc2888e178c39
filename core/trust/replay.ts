/**
 * Replay protection: the highest sequence number accepted so far, per message kind.
 *
 * Semantics (decided here, relied on by signer and agent):
 * - `seq` is a non-negative safe integer. The server draws it from ONE counter shared by all
 *   kinds, never reset (not even by a key rotation), so a seq identifies one signed message.
 * - The agent's counters belong to the key that signed: TrustState.rotate starts them afresh,
 *   so a seq a replaced (perhaps stolen) key signed, even 2^53-1, binds nothing afterwards.
 *   Messages of the replaced key are refused by fingerprint ('replaced-key') from then on.
 * - The agent checks it PER KIND: a message is fresh when its seq is greater than the last one
 *   accepted for its kind. Kinds travel on different channels (push, HTTP responses, the static
 *   feed) that do not keep their order relative to each other, so a global check would refuse
 *   honest messages; within one kind the agent processes messages one at a time.
 * - Gaps are normal (an agent misses notifications while offline); going back or standing
 *   still is a replay. A feed item fetched again has seq === lastSeq: still refused, but the
 *   error's details say so (`isRepeatOfLastAccepted`) so the agent need not log it as an attack.
 *
 * The state is a plain immutable record that lives inside the TrustState; these functions
 * never mutate it. Check with `assertFresh` before acting, then commit with `recordSeq`
 * (which checks again, so two concurrent verifications of one message cannot both commit).
 */
import type { MessageKind } from './profile.js';
import { TrustError } from './errors.js';

export type ReplayState = Readonly<Partial<Record<MessageKind, number>>>;

export function assertFresh(last: ReplayState, kind: MessageKind, seq: number): void {
  const previous = last[kind];
  if (previous !== undefined && seq <= previous)
    throw new TrustError('replay', `The ${kind} message with sequence number ${seq} is not newer than the last one accepted (${previous})`, {
      kind,
      seq,
      lastSeq: previous,
    });
}

/** Returns a new state in which `seq` is the last accepted number for `kind`. */
export function recordSeq(last: ReplayState, kind: MessageKind, seq: number): ReplayState {
  assertFresh(last, kind, seq);
  return { ...last, [kind]: seq };
}

/** True for the benign case of the same feed item being fetched again (seq equal to the last accepted). */
export function isRepeatOfLastAccepted(error: unknown): boolean {
  return error instanceof TrustError && error.reason === 'replay' && error.details.seq === error.details.lastSeq;
}
