/**
 * Agent records: who checked in, which certificate it trusts, its last auth failure. The
 * server keeps them in memory and writes agents.json atomically (aside, flushed, renamed) at
 * most once per `flushDelayMs`, so a check-in storm of 10,000 agents costs a few writes, not
 * 10,000. A crash loses at most the last second of check-ins, which agents repeat anyway.
 */
import { readFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { AgentRecordSchema, type AgentRecord, type ReportedHead } from '../schemas.js';
import { replaceFileAtomically } from '../store/durable-fs.js';

export const AGENTS_FORMAT = 'cm-agents/1';

/** Reads agents.json; damaged entries are skipped, a missing file is an empty fleet. */
export async function readAgentsFile(file: string): Promise<AgentRecord[]> {
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return [];
  }
  const list = (doc as { agents?: unknown } | null)?.agents;
  if (!Array.isArray(list)) return [];
  const agents: AgentRecord[] = [];
  for (const item of list) {
    const parsed = AgentRecordSchema.safeParse(item);
    if (parsed.success) agents.push(parsed.data);
  }
  return agents;
}

interface CheckIn {
  agentId: string;
  hostname: string | null;
  agentVersion: string | null;
  trustedFingerprint: string;
  /** Undefined: an agent too old to report it. */
  lastHead?: ReportedHead | null;
  lastRefusal?: { reason: string; time: string } | null;
}

/** An agent's time, never later than when the server heard it: a future date must not pin anything. */
const bounded = (iso: string, now: Date): string => (Date.parse(iso) > now.getTime() ? now.toISOString() : new Date(Date.parse(iso)).toISOString());

export class AgentRegistry {
  private timer: NodeJS.Timeout | null = null;
  private dirty = false;
  private flushing: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly agents: Map<string, AgentRecord>,
    private readonly flushDelayMs: number,
    readonly maxAgents: number,
  ) {}

  static async load(file: string, options: { flushDelayMs?: number; maxAgents?: number } = {}): Promise<AgentRegistry> {
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    const agents = new Map((await readAgentsFile(file)).map((a) => [a.agentId, a] as const));
    return new AgentRegistry(file, agents, options.flushDelayMs ?? 1000, options.maxAgents ?? Infinity);
  }

  get size(): number {
    return this.agents.size;
  }

  has(agentId: string): boolean {
    return this.agents.has(agentId);
  }

  get(agentId: string): AgentRecord | undefined {
    return this.agents.get(agentId);
  }

  list(): AgentRecord[] {
    return [...this.agents.values()];
  }

  /** False when the fleet is full and this is a new agent. */
  checkIn(input: CheckIn, now: Date): boolean {
    const previous = this.agents.get(input.agentId);
    if (!previous && this.agents.size >= this.maxAgents) return false;
    const record: AgentRecord = {
      agentId: input.agentId,
      hostname: input.hostname,
      trustedFingerprint: input.trustedFingerprint,
      agentVersion: input.agentVersion,
      lastCheckIn: now.toISOString(),
      lastFailureReason: previous?.lastFailureReason ?? null,
      lastFailureAt: previous?.lastFailureAt ?? null,
    };
    if (input.lastHead !== undefined) record.lastHead = input.lastHead && { ...input.lastHead, verifiedAt: bounded(input.lastHead.verifiedAt, now) };
    this.agents.set(input.agentId, record);
    // Its newest refusal counts like an uploaded record: the admin sees it before the next upload.
    if (input.lastRefusal) this.recordFailures(input.agentId, [input.lastRefusal], now);
    this.changed();
    return true;
  }

  /**
   * Keeps the most recent failure per agent (agents that never checked in have no record). The
   * time is the agent's, bounded by when the server received it: a record dated in the future
   * must not pin "last failure" past every later one.
   */
  recordFailures(agentId: string, records: readonly { reason: string; time: string }[], receivedAt: Date): void {
    const agent = this.agents.get(agentId);
    if (!agent || records.length === 0) return;
    // One pass and one update per upload, not per record: an upload carries up to 500.
    const bound = receivedAt.getTime();
    let newest = agent.lastFailureAt === null ? -Infinity : Date.parse(agent.lastFailureAt);
    let reason: string | null = null;
    for (const r of records) {
      const at = Math.min(Date.parse(r.time), bound);
      if (at >= newest) {
        newest = at;
        reason = r.reason;
      }
    }
    if (reason === null) return;
    this.agents.set(agentId, { ...agent, lastFailureReason: reason, lastFailureAt: new Date(newest).toISOString() });
    this.changed();
  }

  private changed(): void {
    this.dirty = true;
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush().catch(() => undefined);
    }, this.flushDelayMs);
    this.timer.unref();
  }

  /** Writes agents.json now if anything changed (one write at a time). */
  flush(): Promise<void> {
    this.flushing = this.flushing.catch(() => undefined).then(async () => {
      if (!this.dirty) return;
      this.dirty = false;
      const doc = { format: AGENTS_FORMAT, agents: [...this.agents.values()] };
      try {
        await replaceFileAtomically(this.file, JSON.stringify(doc) + '\n', 0o600);
      } catch (error) {
        this.dirty = true;
        throw error;
      }
    });
    return this.flushing;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.flush();
  }
}
