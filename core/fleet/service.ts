/**
 * The fleet queries the app shows and `-l` writes: agents, "clients without a valid
 * certificate", auth-failure logs. They read what `serve` writes in <data-dir>/fleet and never
 * write there themselves, so the app and a running server never fight over a file.
 *
 * Reads are cached and refreshed incrementally: agents.json is read again only when its size
 * or modification time changed; auth-failures.ndjson is followed from the byte offset reached
 * (FailureFileTail), so a query at 100,000 records costs a scan, not a reload.
 */
import { stat } from 'node:fs/promises';
import type { AgentRecord, AuthFailurePage, AuthFailureQuery, FleetAgent, FleetSummary } from '../schemas.js';
import { replaceFileAtomically } from '../store/durable-fs.js';
import { resolveOutputFile } from '../store/output-file.js';
import { readStore, storePaths } from '../store/store.js';
import { fingerprintSha256, parseRotationStatement } from '../trust/index.js';
import { agentState, STATE_ORDER, summarize, type FleetFacts } from './agent-state.js';
import { readAgentsFile } from './agents.js';
import { FailureFileTail } from './auth-failures.js';
import { clientsCsv, type ClientsCsvLabels } from './clients-csv.js';
import { fleetPaths } from './paths.js';

export interface FleetService {
  summary(): Promise<FleetSummary>;
  clientsWithoutValidCertificate(request: { offset: number; limit: number }): Promise<{ total: number; agents: FleetAgent[]; states: FleetSummary['states'] }>;
  exportClientsCsv(path: string, labels?: ClientsCsvLabels): Promise<{ path: string; count: number }>;
  queryAuthFailures(query: AuthFailureQuery): Promise<AuthFailurePage>;
}

const signature = async (path: string): Promise<string> => {
  const info = await stat(path).catch(() => null);
  return info ? `${info.dev}:${info.ino}:${info.size}:${info.mtimeMs}` : '-';
};

/** Reads through a cache that is refreshed when the file's signature changes. */
function cachedFile<T>(path: string, read: () => Promise<T>): () => Promise<T> {
  let key: string | null = null;
  let value: Promise<T> | null = null;
  return async () => {
    const next = await signature(path);
    if (next !== key || !value) {
      key = next;
      value = read();
      value.catch(() => (key = null));
    }
    return value;
  };
}

/**
 * The fleet as judged now: every agent with its state (agent-state.ts), and the ones that are
 * not current, what needs the admin first (refusing, stale, then migrating; by agent id within).
 */
export interface FleetView {
  current: string | null;
  agents: FleetAgent[];
  without: FleetAgent[];
  summary: FleetSummary;
}

interface FleetServiceOptions {
  /** The clock states are judged by (tests move it). */
  now?: () => Date;
}

/** The current certificate's fingerprint, and the one the last renewal replaced (from its signed statement). */
async function certificateFacts(dataDir: string): Promise<Pick<FleetFacts, 'current' | 'replaced'>> {
  const snapshot = await readStore(dataDir);
  if (!snapshot) return { current: null, replaced: null };
  const current = fingerprintSha256(Buffer.from(snapshot.state.current.certificateDer, 'base64'));
  const last = snapshot.state.rotations.at(-1);
  let replaced: FleetFacts['replaced'] = null;
  if (last) {
    try {
      const { payload } = parseRotationStatement(last);
      if (payload.next.fingerprintSha256 === current) replaced = { fingerprintSha256: payload.previous.fingerprintSha256, at: new Date(payload.iat * 1000) };
    } catch {
      // a statement that cannot be read names nothing: no agent is migrating
    }
  }
  return { current, replaced };
}

const byId = (a: AgentRecord, b: AgentRecord) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0);

export function fleetService(dataDir: string, options: FleetServiceOptions = {}): FleetService & { view(): Promise<FleetView> } {
  const paths = fleetPaths(dataDir);
  const now = options.now ?? (() => new Date());
  const agentsFile = cachedFile(paths.agents, async () => (await readAgentsFile(paths.agents)).sort(byId));
  const certificateFile = cachedFile(storePaths(dataDir).current, () => certificateFacts(dataDir));
  const failures = new FailureFileTail(paths.authFailures);

  // States depend on the clock as well as the files, so they are judged on every call (a pass
  // over the list; 200,000 agents take milliseconds).
  const view = async (): Promise<FleetView> => {
    const [records, facts] = await Promise.all([agentsFile(), certificateFile()]);
    const judged = { ...facts, now: now() };
    const agents = records.map((a): FleetAgent => ({ ...a, state: agentState(a, judged) }));
    const without = agents.filter((a) => a.state !== 'current').sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state] || byId(a, b));
    return { current: facts.current, agents, without, summary: summarize(agents, facts.current) };
  };

  return {
    view,
    async summary() {
      return (await view()).summary;
    },
    async clientsWithoutValidCertificate({ offset, limit }) {
      const { without, summary } = await view();
      return { total: without.length, agents: without.slice(offset, offset + limit), states: summary.states };
    },
    async exportClientsCsv(path, labels) {
      const target = await resolveOutputFile(dataDir, path, 'clients.csv');
      const { without } = await view();
      await replaceFileAtomically(target, clientsCsv(without, labels), 0o644);
      return { path: target, count: without.length };
    },
    async queryAuthFailures(query) {
      return (await failures.current()).query(query);
    },
  };
}

export interface FleetWatch {
  close(): void;
}

/**
 * Calls `onChange` with the fleet summary whenever agents.json, the auth-failure log or the
 * store's CURRENT changes (polled every `intervalMs`; file-system events are not reliable on
 * every platform and network share). The app pushes the contract's `fleetChanged` event from it.
 */
export function watchFleet(dataDir: string, onChange: (summary: FleetSummary) => void, options: { intervalMs?: number; now?: () => Date } = {}): FleetWatch {
  const paths = fleetPaths(dataDir);
  const service = fleetService(dataDir, { now: options.now });
  const watched = [paths.agents, paths.authFailures, storePaths(dataDir).current];
  let last: string | null = null;
  let lastSummary: string | null = null;
  let ticks = 0;
  let busy = false;
  let closed = false;
  const check = async () => {
    if (busy || closed) return;
    busy = true;
    try {
      const key = (await Promise.all(watched.map(signature))).join('|');
      const filesChanged = last !== null && key !== last;
      // States also change with time alone (migrating agents become stale): judged again every 15 ticks.
      if ((filesChanged || ++ticks % 15 === 0) && !closed) {
        const summary = await service.summary();
        const text = JSON.stringify(summary);
        if (filesChanged || (lastSummary !== null && text !== lastSummary)) onChange(summary);
        lastSummary = text;
      } else if (lastSummary === null && !closed) lastSummary = JSON.stringify(await service.summary());
      last = key;
    } catch {
      // a file being replaced: the next tick sees it
    } finally {
      busy = false;
    }
  };
  void check();
  const timer = setInterval(() => void check(), options.intervalMs ?? 1000);
  timer.unref();
  return {
    close() {
      closed = true;
      clearInterval(timer);
    },
  };
}
