/**
 * What an agent keeps between runs, behind one interface so the same agent core runs on disk
 * (the CLI) or in memory (the fleet simulator's thousands of in-process agents):
 *
 *   <state-dir>/
 *     trust.json       the trust state (core/trust's cm-trust-state/2), replaced atomically, whole
 *     agent-key.pem    the agent's Ed25519 private key (made once, admin-only); its hash is the agent id
 *     agent.json       agent id, settings from the server, hotfixes installed, upload schedule
 *     spool.ndjson     auth-failure records not yet acknowledged by the server (fsync per append)
 *     hotfixes/<sha256>  hotfix content that matched its signed manifest
 *     trust.lock       held for the moment trust.json is compared and replaced
 *
 * Trust writes are compare-and-swap: the agent saves a new state only if trust.json still holds
 * what it loaded, so an `agent import-cert` run while the agent works is never overwritten.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { lockOwned } from '../store/owned-lock.js';
import { z } from 'zod';
import { AuthFailureRecordSchema, IsoTime, type AuthFailureRecord } from '../schemas.js';
import { CertManagerError } from '../errors.js';
import { replaceFileAtomically } from '../store/durable-fs.js';
import { parseTrustState, serializeTrustState, type ContentManifest, type TrustState } from '../trust/index.js';
import { FeedSettingsSchema, LIMITS } from '../protocol/wire.js';

const AGENT_META_FORMAT = 'cm-agent/1';

const AgentMetaSchema = z.object({
  format: z.literal(AGENT_META_FORMAT),
  agentId: z.string().regex(/^[\x21-\x7e]{1,128}$/),
  createdAt: IsoTime,
  // (Before cm-trust-state/2, a `trustVersionKnown` flag lived here, in a second write; trust.json
  // holds it now. An old file's flag is dropped when read.)
  settings: FeedSettingsSchema.nullable(),
  hotfixes: z.record(z.string(), z.object({ name: z.string(), version: z.string(), installedAt: IsoTime })),
  upload: z.object({ nextAt: IsoTime.nullable(), attempts: z.number().int().min(0) }),
  /** Records dropped because the spool was full (oldest first). */
  droppedRecords: z.number().int().min(0),
  /**
   * Refusals that repeated one still waiting in the spool (same kind, reason and fingerprint),
   * by that record's id: how many times in all, and the last time. Sent in its detail.
   */
  repeats: z.record(z.string(), z.object({ count: z.number().int().min(2), last: IsoTime })).default({}),
  /** The newest refusal this agent recorded (told at check-in: "refusing" needs no upload to show). */
  lastRefusal: z.object({ messageKind: z.string().max(64), reason: z.string().max(64), time: IsoTime }).nullable().default(null),
});
export type AgentMeta = z.infer<typeof AgentMetaSchema>;

export function newAgentMeta(agentId: string, now: Date): AgentMeta {
  return { format: AGENT_META_FORMAT, agentId, createdAt: now.toISOString(), settings: null, hotfixes: {}, upload: { nextAt: null, attempts: 0 }, droppedRecords: 0, repeats: {}, lastRefusal: null };
}

/** A loaded trust state and the token that saveTrust compares against. */
export interface TrustSnapshot {
  state: TrustState;
  token: string;
}

/** trust.json changed under the agent (import-cert): the agent drops its cycle and reloads. */
export class TrustStateChanged extends Error {
  override readonly name = 'TrustStateChanged';
}

export interface AgentStorage {
  /** null: no trust state yet. Throws a TrustError ('malformed') when it is unreadable. */
  loadTrust(): Promise<TrustSnapshot | null>;
  /** Saves if the stored state is still `expected` (null: none); returns the new token. */
  saveTrust(state: TrustState, expected: string | null): Promise<string>;
  /** Replaces the trust state whatever it holds (import-cert). */
  replaceTrust(state: TrustState): Promise<string>;
  loadMeta(): Promise<AgentMeta | null>;
  saveMeta(meta: AgentMeta): Promise<void>;
  /** The agent's private key (PKCS#8 PEM), null before the first run. */
  loadAgentKey(): Promise<string | null>;
  /** Stores a new key unless one exists; returns the key stored now (the existing one wins a race). */
  createAgentKey(pem: string): Promise<string>;
  /** Appends durably; returns how many old records were dropped to stay within the cap. */
  appendFailures(records: readonly AuthFailureRecord[]): Promise<number>;
  /** Oldest first. */
  readSpool(): Promise<AuthFailureRecord[]>;
  removeFromSpool(ids: ReadonlySet<string>): Promise<void>;
  saveHotfix(manifest: ContentManifest, content: Buffer): Promise<void>;
  /**
   * Keeps the last feed head accepted in full, byte for byte (head.jws): it commits to the
   * server's audit log, so every agent holds signed evidence of what the log said
   * (`certificatemanager audit --verify --head`).
   */
  saveHead(jws: Buffer): Promise<void>;
}

/** In memory: for the simulator and tests. Survives a "restart" if the same object is reused. */
export class MemoryAgentStorage implements AgentStorage {
  trust: string | null;
  meta: AgentMeta | null;
  spool: AuthFailureRecord[] = [];
  readonly hotfixes = new Map<string, Buffer>();
  /** The last state read or written, so thousands of simulated agents do not parse X.509 every cycle. */
  private parsed: TrustSnapshot | null = null;

  constructor(initial: { trust?: TrustState | string | null; meta?: AgentMeta | null } = {}) {
    this.trust = initial.trust == null ? null : typeof initial.trust === 'string' ? initial.trust : serializeTrustState(initial.trust);
    if (initial.trust != null && typeof initial.trust !== 'string') this.parsed = { state: initial.trust, token: this.trust! };
    this.meta = initial.meta ?? null;
  }

  async loadTrust(): Promise<TrustSnapshot | null> {
    if (this.trust === null) return null;
    if (this.parsed?.token !== this.trust) this.parsed = { state: parseTrustState(this.trust), token: this.trust };
    return this.parsed;
  }

  async saveTrust(state: TrustState, expected: string | null): Promise<string> {
    if (this.trust !== expected) throw new TrustStateChanged('The trust state was replaced meanwhile');
    return this.replaceTrust(state);
  }

  async replaceTrust(state: TrustState): Promise<string> {
    this.trust = serializeTrustState(state);
    this.parsed = { state, token: this.trust };
    return this.trust;
  }

  async loadMeta(): Promise<AgentMeta | null> {
    return this.meta && structuredClone(this.meta);
  }

  async saveMeta(meta: AgentMeta): Promise<void> {
    this.meta = structuredClone(meta);
  }

  agentKey: string | null = null;

  async loadAgentKey(): Promise<string | null> {
    return this.agentKey;
  }

  async createAgentKey(pem: string): Promise<string> {
    return (this.agentKey ??= pem);
  }

  async appendFailures(records: readonly AuthFailureRecord[]): Promise<number> {
    this.spool.push(...records);
    const over = Math.max(0, this.spool.length - LIMITS.spoolRecords);
    if (over > 0) this.spool.splice(0, over);
    return over;
  }

  async readSpool(): Promise<AuthFailureRecord[]> {
    return [...this.spool];
  }

  async removeFromSpool(ids: ReadonlySet<string>): Promise<void> {
    this.spool = this.spool.filter((r) => !ids.has(r.id));
  }

  async saveHotfix(manifest: ContentManifest, content: Buffer): Promise<void> {
    this.hotfixes.set(manifest.sha256, content);
  }

  head: Buffer | null = null;
  async saveHead(jws: Buffer): Promise<void> {
    this.head = jws;
  }
}

const readText = async (path: string): Promise<string | null> => {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
};

/** On disk, in one folder per agent. */
export class FileAgentStorage implements AgentStorage {
  readonly paths: { trust: string; meta: string; spool: string; hotfixes: string; lock: string; key: string; head: string };
  /** Records in spool.ndjson, once counted. */
  private spoolCount: number | null = null;

  constructor(readonly dir: string) {
    this.paths = { trust: join(dir, 'trust.json'), meta: join(dir, 'agent.json'), spool: join(dir, 'spool.ndjson'), hotfixes: join(dir, 'hotfixes'), lock: join(dir, 'trust.lock'), key: join(dir, 'agent-key.pem'), head: join(dir, 'head.jws') };
  }

  private async ensureDir(): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
  }

  async loadTrust(): Promise<TrustSnapshot | null> {
    const text = await readText(this.paths.trust);
    return text === null ? null : { state: parseTrustState(text), token: text };
  }

  private async withTrustLock<T>(work: () => Promise<T>): Promise<T> {
    await this.ensureDir();
    let release: () => Promise<void>;
    try {
      // proper-lockfile keys its locks by the first argument: one distinct path per lock.
      release = await lockOwned(this.paths.trust, { lockfilePath: this.paths.lock, realpath: false, stale: 10_000, retries: { retries: 50, minTimeout: 10, maxTimeout: 200 } });
    } catch (error) {
      throw new CertManagerError('wrong-state', 'AGENT_STATE_LOCKED', `The agent state in ${this.dir} is locked by another process. Try again.`, {}, { cause: error });
    }
    try {
      return await work();
    } finally {
      await release().catch(() => undefined);
    }
  }

  saveTrust(state: TrustState, expected: string | null): Promise<string> {
    return this.withTrustLock(async () => {
      if ((await readText(this.paths.trust)) !== expected) throw new TrustStateChanged('The trust state was replaced meanwhile');
      const text = serializeTrustState(state);
      await replaceFileAtomically(this.paths.trust, text, 0o600);
      return text;
    });
  }

  replaceTrust(state: TrustState): Promise<string> {
    return this.withTrustLock(async () => {
      const text = serializeTrustState(state);
      await replaceFileAtomically(this.paths.trust, text, 0o600);
      return text;
    });
  }

  async loadMeta(): Promise<AgentMeta | null> {
    const text = await readText(this.paths.meta);
    if (text === null) return null;
    try {
      return AgentMetaSchema.parse(JSON.parse(text));
    } catch (cause) {
      throw new CertManagerError('bad-input', 'AGENT_STATE_DAMAGED', `${this.paths.meta} is damaged. Delete it; the agent then starts with a new agent id.`, {}, { cause });
    }
  }

  async saveMeta(meta: AgentMeta): Promise<void> {
    await this.ensureDir();
    await replaceFileAtomically(this.paths.meta, JSON.stringify(meta, null, 2) + '\n', 0o600);
  }

  async loadAgentKey(): Promise<string | null> {
    return readText(this.paths.key);
  }

  async createAgentKey(pem: string): Promise<string> {
    await this.ensureDir();
    // Written whole and flushed aside (owner-only), then linked into place: link() fails when
    // a key exists, so two first runs at once keep one key, and no one ever reads half a key.
    const aside = `${this.paths.key}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await open(aside, 'wx', 0o600);
    try {
      await handle.writeFile(pem);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await link(aside, this.paths.key);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      await unlink(aside).catch(() => undefined);
    }
    return (await readText(this.paths.key))!;
  }

  async appendFailures(records: readonly AuthFailureRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    await this.ensureDir();
    this.spoolCount ??= (await this.readSpool()).length;
    if (this.spoolCount + records.length > LIMITS.spoolRecords) {
      const all = [...(await this.readSpool()), ...records];
      const dropped = all.length - LIMITS.spoolRecords;
      await this.rewrite(all.slice(dropped));
      return dropped;
    }
    const handle = await open(this.paths.spool, 'a', 0o600);
    try {
      // Starts on a fresh line even if a crash cut the last append short.
      const info = await handle.stat();
      const lead = info.size > 0 && (await this.endsWithoutNewline(info.size)) ? '\n' : '';
      await handle.write(lead + records.map((r) => JSON.stringify(r)).join('\n') + '\n');
      await handle.sync();
    } finally {
      await handle.close();
    }
    this.spoolCount += records.length;
    return 0;
  }

  private async endsWithoutNewline(size: number): Promise<boolean> {
    const handle = await open(this.paths.spool, 'r');
    try {
      const last = Buffer.alloc(1);
      await handle.read(last, 0, 1, size - 1);
      return last[0] !== 0x0a;
    } finally {
      await handle.close();
    }
  }

  async readSpool(): Promise<AuthFailureRecord[]> {
    const text = await readText(this.paths.spool);
    if (text === null) return [];
    const records: AuthFailureRecord[] = [];
    const ids = new Set<string>();
    for (const line of text.split('\n')) {
      if (!line) continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        continue; // a line cut by a crash: its record was never reported as written
      }
      const parsed = AuthFailureRecordSchema.safeParse(value);
      if (parsed.success && !ids.has(parsed.data.id)) {
        ids.add(parsed.data.id);
        records.push(parsed.data);
      }
    }
    this.spoolCount = records.length;
    return records;
  }

  async removeFromSpool(ids: ReadonlySet<string>): Promise<void> {
    if (ids.size === 0) return;
    await this.rewrite((await this.readSpool()).filter((r) => !ids.has(r.id)));
  }

  private async rewrite(records: readonly AuthFailureRecord[]): Promise<void> {
    await replaceFileAtomically(this.paths.spool, records.map((r) => JSON.stringify(r) + '\n').join(''), 0o600);
    this.spoolCount = records.length;
  }

  async saveHotfix(manifest: ContentManifest, content: Buffer): Promise<void> {
    await mkdir(this.paths.hotfixes, { recursive: true, mode: 0o700 });
    await replaceFileAtomically(join(this.paths.hotfixes, manifest.sha256), content, 0o600);
  }

  async saveHead(jws: Buffer): Promise<void> {
    await replaceFileAtomically(this.paths.head, jws, 0o644);
  }

  /** True when a state folder holds an agent (used by the CLI's messages). */
  async exists(): Promise<boolean> {
    return (await stat(this.paths.trust).catch(() => null)) !== null;
  }
}
