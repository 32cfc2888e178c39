/**
 * How the server judges an agent (core/fleet/agent-state.ts): the cases an admin meets, and
 * properties over any record and any clock (fast-check): time alone never makes an agent
 * healthier, a refusal counts only when it came after the last verified head, and migrating
 * is only ever a short grace after a renewal.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { agentState, type FleetFacts } from '../../core/fleet/agent-state.js';
import type { AgentRecord } from '../../core/schemas.js';

const CURRENT = 'aa'.repeat(32);
const OLD = 'bb'.repeat(32);
const OTHER = 'cc'.repeat(32);
const T = Date.parse('2030-06-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const MIN = 60_000;
const HOUR = 60 * MIN;

const record = (over: Partial<AgentRecord> = {}): AgentRecord => ({
  agentId: 'a',
  hostname: null,
  trustedFingerprint: CURRENT,
  agentVersion: null,
  lastCheckIn: iso(T - MIN),
  lastFailureReason: null,
  lastFailureAt: null,
  lastHead: { seq: 1, verifiedAt: iso(T - 2 * MIN), lifetimeSeconds: 86_400 },
  ...over,
});
const facts = (over: Partial<FleetFacts> = {}): FleetFacts => ({ now: new Date(T), current: CURRENT, replaced: { fingerprintSha256: OLD, at: new Date(T - 3 * MIN) }, ...over });

describe('the cases an admin meets', () => {
  it('current: trusts the current certificate, fresh head, nothing refused since', () => {
    expect(agentState(record(), facts())).toBe('current');
    // A refusal before the last verified head is history.
    expect(agentState(record({ lastFailureAt: iso(T - 10 * MIN), lastFailureReason: 'forged-signature' }), facts())).toBe('current');
  });

  it('refusing: a refusal after the last verified head, or with no head ever verified', () => {
    expect(agentState(record({ lastFailureAt: iso(T - MIN), lastFailureReason: 'feed-unreachable' }), facts())).toBe('refusing');
    expect(agentState(record({ lastHead: null, lastFailureAt: iso(T - HOUR), lastFailureReason: 'untrusted-key' }), facts())).toBe('refusing');
  });

  it('migrating: on the replaced certificate, not checked in since the renewal, within two poll intervals', () => {
    const onOld = record({ trustedFingerprint: OLD, lastCheckIn: iso(T - 4 * MIN) });
    expect(agentState(onOld, facts())).toBe('migrating');
    // Past two poll intervals (10 minutes), it is late: stale.
    expect(agentState(onOld, facts({ now: new Date(T - 3 * MIN + 11 * MIN) }))).toBe('stale');
    // It checked in after the renewal and still trusts the old one: it did not follow.
    expect(agentState(record({ trustedFingerprint: OLD, lastCheckIn: iso(T - MIN) }), facts())).toBe('stale');
    // A certificate other than the one just replaced is no migration.
    expect(agentState(record({ trustedFingerprint: OTHER, lastCheckIn: iso(T - 4 * MIN) }), facts())).toBe('stale');
  });

  it('stale: no verified head for longer than its lifetime, or none ever', () => {
    expect(agentState(record({ lastHead: { seq: 1, verifiedAt: iso(T - 25 * HOUR), lifetimeSeconds: 86_400 } }), facts())).toBe('stale');
    expect(agentState(record({ lastHead: null }), facts())).toBe('stale');
    // An agent too old to report heads is judged by its last check-in.
    expect(agentState(record({ lastHead: undefined, lastCheckIn: iso(T - HOUR) }), facts())).toBe('current');
    expect(agentState(record({ lastHead: undefined, lastCheckIn: iso(T - 25 * HOUR) }), facts())).toBe('stale');
  });
});

const anyTime = fc.integer({ min: T - 48 * HOUR, max: T + HOUR });
const anyRecord = fc.record({
  trustedFingerprint: fc.constantFrom(CURRENT, OLD, OTHER, ''),
  lastCheckIn: anyTime.map(iso),
  lastFailureAt: fc.option(anyTime.map(iso), { nil: null }),
  lastHead: fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.record({ seq: fc.nat(), verifiedAt: anyTime.map(iso), lifetimeSeconds: fc.integer({ min: 60, max: 3 * 86_400 }) }),
  ),
});
const anyFacts = fc.record({
  current: fc.constantFrom<string | null>(CURRENT, null),
  replaced: fc.option(fc.record({ fingerprintSha256: fc.constantFrom(OLD, OTHER), at: anyTime.map((t) => new Date(t)) }), { nil: null }),
});
const RANK = { current: 0, migrating: 0, stale: 1, refusing: 2 } as const;

describe('properties (fast-check)', () => {
  it('time alone never makes an agent healthier', () => {
    fc.assert(
      fc.property(anyRecord, anyFacts, anyTime, fc.integer({ min: 0, max: 72 * HOUR }), (over, known, at, wait) => {
        const r = record({ ...over, lastFailureReason: over.lastFailureAt ? 'x' : null });
        const before = agentState(r, { ...known, now: new Date(at) });
        const after = agentState(r, { ...known, now: new Date(at + wait) });
        expect(RANK[after]).toBeGreaterThanOrEqual(RANK[before]);
        if (before === 'stale') expect(after).toBe('stale');
      }),
      { numRuns: 2000 },
    );
  });

  it('current needs the current certificate and no refusal after the last success; migrating needs the replaced one', () => {
    fc.assert(
      fc.property(anyRecord, anyFacts, anyTime, (over, known, at) => {
        const r = record({ ...over, lastFailureReason: over.lastFailureAt ? 'x' : null });
        const state = agentState(r, { ...known, now: new Date(at) });
        if (state === 'current') {
          expect(r.trustedFingerprint).toBe(known.current);
          expect(r.lastHead).not.toBeNull();
        }
        if (state === 'migrating') {
          expect(r.trustedFingerprint).toBe(known.replaced!.fingerprintSha256);
          expect(at - known.replaced!.at.getTime()).toBeLessThanOrEqual(10 * MIN);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
