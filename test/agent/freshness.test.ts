/**
 * Freshness, watched on both ends (issue #11, finding 3): a feed that is withheld, broken or
 * frozen for longer than a head's lifetime is evidence. The agent records it (feed-unreachable,
 * or the exact refusal), tells the server at its next check-in together with the last head it
 * verified, and the server judges it refusing or stale instead of current. Real server and a
 * mirror on 127.0.0.1; the agent's and the server's clocks are one injected clock, moved by hand.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { createHash } from 'node:crypto';
import { MemoryAgentStorage, newAgentMeta } from '../../core/agent/index.js';
import { AgentRegistry } from '../../core/fleet/agents.js';
import { fleetService, type FleetServer } from '../../core/fleet/index.js';
import { createTrustState } from '../../core/trust/index.js';
import { join } from 'node:path';
import { tempDir } from '../helpers/temp.js';
import { currentSigner, makeStore, startHostile, startServer, type HostileServer } from '../fleet/helpers.js';
import { serveSnapshot, signedFeed, testAgent, NO_CONTENT, type TestAgent } from './kit.js';

const HOUR = 3600_000;
let dataDir: string;
let server: FleetServer;
let hostile: HostileServer;
let v1: Awaited<ReturnType<typeof currentSigner>>;
let clock = new Date();

beforeAll(async () => {
  dataDir = await makeStore();
  server = await startServer(dataDir, { now: () => clock });
  v1 = await currentSigner(dataDir);
  hostile = await startHostile();
});

/** An agent created "now" on the shared clock, reading the mirror, checking in with the real server. */
function freshAgent(): TestAgent {
  const probe = testAgent({ serverUrl: server.url, certificate: v1.certificate });
  const storage = new MemoryAgentStorage({ trust: createTrustState(v1.certificate, { version: 1 }), meta: newAgentMeta(probe.id, clock) });
  storage.agentKey = probe.storage.agentKey;
  return testAgent({ serverUrl: server.url, feedUrl: hostile.feedUrl, certificate: v1.certificate, storage, now: () => clock });
}

/** How the server judges the agent now (after its registry reached agents.json). */
async function judged(a: TestAgent) {
  await server.registry.flush();
  const { agents } = await fleetService(dataDir, { now: () => clock }).view();
  return agents.find((x) => x.agentId === a.id)!;
}

const later = (hours: number) => (clock = new Date(clock.getTime() + hours * HOUR));

describe('a feed withheld for longer than a head\'s lifetime', () => {
  it('503s: the agent records feed-unreachable, says so at once at check-in, and the server stops calling it current', async () => {
    clock = new Date();
    serveSnapshot(hostile, await signedFeed(v1, { now: clock }));
    const a = freshAgent();
    const first = await a.agent.runOnce({ upload: 'never' });
    expect(first.refused).toEqual([]);
    expect(first.checkedIn).toBe(true);
    expect(await judged(a)).toMatchObject({ state: 'current', lastHead: { lifetimeSeconds: 24 * 3600 } });

    hostile.set('index.jws', { status: 503, body: 'busy' });
    later(2);
    const early = await a.agent.runOnce({ upload: 'never' });
    // An outage shorter than a head's lifetime is only an outage.
    expect(early.refused).toEqual([]);
    expect(early.offline).toBe(true);

    later(23);
    const stale = await a.agent.runOnce({ upload: 'never' });
    expect(stale.stale).toBe(true);
    expect(stale.refused.map((r) => [r.messageKind, r.reason])).toEqual([['notification', 'feed-unreachable']]);
    expect(stale.refused[0]!.detail).toMatch(/HTTP 503/);
    // Told at this cycle's check-in (health changed), not at the next upload an hour away.
    expect(stale.checkedIn).toBe(true);
    expect(await judged(a)).toMatchObject({ state: 'refusing', lastFailureReason: 'feed-unreachable' });

    // The same outage at the next poll is the same record, counted, and no new check-in.
    later(0.1);
    const again = await a.agent.runOnce({ upload: 'never' });
    expect(again.refused.map((r) => r.id)).toEqual([stale.refused[0]!.id]);
    expect(again.checkedIn).toBe(false);

    // The upload carries the evidence to the log the admin reads.
    const uploaded = await a.agent.runOnce({ upload: 'force' });
    expect(uploaded.uploaded).toBe(1);
    const page = await fleetService(dataDir).queryAuthFailures({ agentId: a.id, reason: 'feed-unreachable' });
    expect(page.records).toHaveLength(1);

    // The feed back: a new head verifies, the agent says so, the server calls it current again.
    serveSnapshot(hostile, await signedFeed(v1, { now: clock }));
    const back = await a.agent.runOnce({ upload: 'never' });
    expect(back.refused).toEqual([]);
    expect(back.checkedIn).toBe(true);
    expect(await judged(a)).toMatchObject({ state: 'current' });
  });

  it('a hotfix document that answers 404: the head verifies but never completes, and that is recorded too', async () => {
    clock = new Date();
    const content = Buffer.from('a hotfix');
    const sha256 = createHash('sha256').update(content).digest('hex');
    const withHotfix = { ...NO_CONTENT, hotfixes: [{ name: 'kb1', version: '1', file: '/nonexistent', sha256, size: content.length }] };
    const publish = async () => {
      const feed = await signedFeed(v1, { now: clock, content: withHotfix });
      serveSnapshot(hostile, feed);
      const manifest = feed.head.documents.find((d) => d.kind === 'hotfix-manifest')!;
      hostile.set(manifest.path, null); // 404
      return manifest.path;
    };
    await publish();
    const a = freshAgent();
    expect((await a.agent.runOnce({ upload: 'never' })).refused).toEqual([]);
    later(25);
    // Re-signed on time (the head itself is fresh): only the document is withheld.
    const path = await publish();
    const report = await a.agent.runOnce({ upload: 'never' });
    expect(report.refused.map((r) => r.reason)).toEqual(['feed-unreachable']);
    expect(report.refused[0]!.detail).toContain(`${path}: HTTP 404`);
    expect((await judged(a)).state).toBe('refusing');
  });

  it('a feed frozen on one head: once it expires, the same bytes are refused as expired (not skipped as already seen)', async () => {
    clock = new Date();
    serveSnapshot(hostile, await signedFeed(v1, { now: clock }));
    const a = freshAgent();
    expect((await a.agent.runOnce({ upload: 'never' })).refused).toEqual([]);
    later(12);
    expect((await a.agent.runOnce({ upload: 'never' })).refused).toEqual([]);
    later(13);
    const report = await a.agent.runOnce({ upload: 'never' });
    // The exact refusal is the evidence; no second, vaguer record for the same cycle.
    expect(report.refused.map((r) => [r.messageKind, r.reason])).toEqual([['notification', 'expired']]);
    expect(report.stale).toBe(true);
    expect((await judged(a)).state).toBe('refusing');
  });

  it('an agent that never verified a head since it was set up is stale to the server, and records why after a lifetime', async () => {
    clock = new Date();
    hostile.set('index.jws', { status: 503, body: 'busy' });
    const a = freshAgent();
    const first = await a.agent.runOnce({ upload: 'never' });
    expect(first.refused).toEqual([]);
    expect(first.checkedIn).toBe(true);
    expect(await judged(a)).toMatchObject({ state: 'stale', lastHead: null });
    later(25);
    const report = await a.agent.runOnce({ upload: 'never' });
    expect(report.refused.map((r) => r.reason)).toEqual(['feed-unreachable']);
    expect(report.refused[0]!.detail).toMatch(/since this agent was set up/);
  });
});

describe('what an agent reports is bounded by the server\'s clock', () => {
  it('a last head (or refusal) dated in the future is stored as "now", so it cannot keep an agent current', async () => {
    const registry = await AgentRegistry.load(join(await tempDir(), 'agents.json'));
    const now = new Date('2030-01-01T00:00:00Z');
    const fp = 'ab'.repeat(32);
    registry.checkIn(
      {
        agentId: 'a1',
        hostname: null,
        agentVersion: null,
        trustedFingerprint: fp,
        lastHead: { seq: 1, verifiedAt: '9999-12-31T00:00:00.000Z', lifetimeSeconds: 86_400 },
        lastRefusal: { reason: 'forged-signature', time: '9999-12-31T00:00:00.000Z' },
      },
      now,
    );
    const record = registry.get('a1')!;
    expect(record.lastHead!.verifiedAt).toBe(now.toISOString());
    expect(record.lastFailureAt).toBe(now.toISOString());
    await registry.close();
  });
});
