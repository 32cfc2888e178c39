/**
 * Which of the four states an agent is in (AGENT_STATES in core/schemas.ts), judged from
 * what it last reported and what the server knows about its own certificate. One pure function,
 * so the app's dashboard, "clients without a valid certificate" and `-l` cannot disagree.
 *
 * In order, the first that applies:
 *   refusing   it recorded a refusal after the last head it verified (or never verified one);
 *   migrating  it trusts the certificate the last renewal replaced, has not checked in since
 *              the renewal, and the renewal is at most two poll intervals old: it simply has
 *              not polled yet, and needs nothing from the admin;
 *   stale      it trusts another certificate than the current one, or its last verified head is
 *              older than a head's lifetime: the feed is withheld, frozen or broken for it, or
 *              the machine is off;
 *   current    everything else.
 * Agents too old to report their last head are judged by their last check-in instead; an agent
 * that reports none verified yet has no fresh head (stale, or refusing when it logged why).
 */
import type { AgentRecord, AgentState, FleetAgent, FleetSummary } from '../schemas.js';
import { DEFAULT_TTL_SECONDS } from '../trust/index.js';
import { POLL_INTERVAL_SECONDS } from '../protocol/wire.js';

/** What the server knows about its own certificate when it judges its agents. */
export interface FleetFacts {
  now: Date;
  /** Fingerprint of the current certificate (null: none yet). */
  current: string | null;
  /** The certificate the last renewal replaced, and when (null: never renewed). */
  replaced: { fingerprintSha256: string; at: Date } | null;
  /** Default POLL_INTERVAL_SECONDS. */
  pollIntervalSeconds?: number;
  /** Lifetime assumed for agents that do not report their head's. Default: DEFAULT_TTL_SECONDS. */
  headLifetimeSeconds?: number;
}

const time = (iso: string | null | undefined): number => (iso ? Date.parse(iso) : Number.NaN);

export function agentState(agent: AgentRecord, facts: FleetFacts): AgentState {
  const now = facts.now.getTime();
  const head = agent.lastHead;
  // An agent too old to report heads: its last check-in is the best "last success" known.
  const lastSuccess = head === undefined ? time(agent.lastCheckIn) : head === null ? Number.NaN : time(head.verifiedAt);
  const lastFailure = time(agent.lastFailureAt);
  // NaN compares false both ways: a refusal with no head ever verified counts as "since".
  if (!Number.isNaN(lastFailure) && !(lastFailure <= lastSuccess)) return 'refusing';

  if (agent.trustedFingerprint !== facts.current || facts.current === null) {
    const replaced = facts.replaced;
    const window = 2 * (facts.pollIntervalSeconds ?? POLL_INTERVAL_SECONDS) * 1000;
    if (replaced && agent.trustedFingerprint === replaced.fingerprintSha256 && now - replaced.at.getTime() <= window && time(agent.lastCheckIn) < replaced.at.getTime())
      return 'migrating';
    return 'stale';
  }
  const freshSince = lastSuccess;
  const lifetimeMs = (head?.lifetimeSeconds ?? facts.headLifetimeSeconds ?? DEFAULT_TTL_SECONDS) * 1000;
  if (!(now - freshSince <= lifetimeMs)) return 'stale';
  return 'current';
}

/** Severity order for lists: what needs the admin first. */
export const STATE_ORDER: Readonly<Record<AgentState, number>> = { refusing: 0, stale: 1, migrating: 2, current: 3 };

/** The dashboard's counts, in one pass over the judged agents. */
export function summarize(agents: readonly FleetAgent[], current: string | null): FleetSummary {
  const counts = { current: 0, migrating: 0, stale: 0, refusing: 0 };
  let trustingCurrent = 0;
  for (const a of agents) {
    counts[a.state]++;
    if (current !== null && a.trustedFingerprint === current) trustingCurrent++;
  }
  return { total: agents.length, trustingCurrent, withoutValidCertificate: counts.stale + counts.refusing, states: counts };
}
