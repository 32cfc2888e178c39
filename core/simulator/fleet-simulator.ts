/**
 * A fleet simulator: N reference agents in this process, with in-memory state, sharing one
 * keep-alive HTTP agent (a bounded pool of sockets) and one verifier (one parsed key per
 * certificate), against a real server. Tests and bench/fleet.mjs use it to watch thousands of
 * agents converge on a renewed certificate.
 */
import { createPrivateKey } from 'node:crypto';
import http from 'node:http';
import { AgentKey, generateAgentKey } from '../protocol/request-auth.js';
import { Agent, type CycleReport, type RunOptions } from '../agent/agent.js';
import { MemoryAgentStorage, newAgentMeta } from '../agent/storage.js';
import { HttpTransport } from '../agent/transport.js';
import { sharedVerifier } from '../trust/verifier.js';
import { RotationCache } from '../agent/rotation-cache.js';
import { createTrustState, type TrustState } from '../trust/index.js';

export interface SimulatedAgent {
  /** The agent id: the hash of the agent's own key (core/protocol/request-auth.ts). */
  readonly id: string;
  /** The name it was added under; also its hostname in check-ins. */
  readonly name: string;
  readonly agent: Agent;
  readonly storage: MemoryAgentStorage;
  /** Offline agents are skipped by runAll. */
  online: boolean;
}

interface FleetSimulatorOptions {
  serverUrl: string;
  feedUrl?: string;
  count: number;
  /** The certificate (DER) agents are provisioned with, and its version. */
  certificate: Buffer;
  version?: number;
  /** Agent ids are `${idPrefix}${n}` (zero-padded). */
  idPrefix?: string;
  /** Sockets shared by all agents (and requests in flight at once). Default 64. */
  maxSockets?: number;
  timeoutMs?: number;
  now?: () => Date;
  /**
   * Agents with the same trust walk the same rotation chain; by default they share the walk's
   * result (RotationCache). false: every agent verifies the chain itself, as separate machines would.
   */
  shareChainWalks?: boolean;
}

export class FleetSimulator {
  readonly agents: SimulatedAgent[] = [];
  readonly httpAgent: http.Agent;
  private readonly transport: HttpTransport;
  /** One (immutable) trust state per certificate and version, shared by the agents provisioned with it. */
  private readonly states = new Map<string, TrustState>();
  private readonly rotationCache: RotationCache | undefined;

  constructor(private readonly options: FleetSimulatorOptions) {
    const maxSockets = options.maxSockets ?? 64;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    this.transport = new HttpTransport({ httpAgent: this.httpAgent, timeoutMs: options.timeoutMs ?? 60_000 });
    this.rotationCache = options.shareChainWalks === false ? undefined : new RotationCache();
    const now = options.now ?? (() => new Date());
    const width = String(options.count).length;
    for (let i = 0; i < options.count; i++) this.add(`${options.idPrefix ?? 'sim-'}${String(i).padStart(width, '0')}`, options.certificate, options.version ?? 1, now);
  }

  /** Adds an agent provisioned with `certificate` (e.g. a tampered one); it gets its own key. */
  add(name: string, certificate: Buffer, version = 1, now: () => Date = this.options.now ?? (() => new Date())): SimulatedAgent {
    const agentKey = generateAgentKey();
    const id = new AgentKey(createPrivateKey(agentKey)).agentId;
    const meta = newAgentMeta(id, now());
    // Uploads run when the caller forces them; the schedule is the agent's business otherwise.
    meta.upload.nextAt = new Date(now().getTime() + 365 * 24 * 3600 * 1000).toISOString();
    const key = `${version}:${certificate.toString('base64')}`;
    let trust = this.states.get(key);
    if (!trust) this.states.set(key, (trust = createTrustState(certificate, { version })));
    const storage = new MemoryAgentStorage({ trust, meta });
    storage.agentKey = agentKey;
    const agent = new Agent({
      serverUrl: this.options.serverUrl,
      feedUrl: this.options.feedUrl,
      storage,
      transport: this.transport,
      verifier: sharedVerifier,
      rotationCache: this.rotationCache,
      agentVersion: 'simulator',
      hostname: name,
      now,
    });
    const simulated = { id, name, agent, storage, online: true };
    this.agents.push(simulated);
    return simulated;
  }

  /** Runs one cycle of every online agent (or those `filter` picks), `concurrency` at a time. */
  async runAll(run: RunOptions = {}, filter: (a: SimulatedAgent) => boolean = () => true, concurrency?: number): Promise<{ reports: Map<string, CycleReport>; ms: number }> {
    const chosen = this.agents.filter((a) => a.online && filter(a));
    const reports = new Map<string, CycleReport>();
    const started = performance.now();
    let next = 0;
    const worker = async () => {
      while (next < chosen.length) {
        const a = chosen[next++]!;
        reports.set(a.id, await a.agent.runOnce(run));
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency ?? this.httpAgent.maxSockets, chosen.length) }, worker));
    return { reports, ms: performance.now() - started };
  }

  /** The fingerprint each agent trusts now (null: unreadable). */
  async trusted(a: SimulatedAgent): Promise<string | null> {
    try {
      return (await a.storage.loadTrust())?.state.fingerprintSha256 ?? null;
    } catch {
      return null;
    }
  }

  close(): void {
    this.httpAgent.destroy();
  }
}
