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
import type { AgentRecord, AuthFailurePage, AuthFailureQuery, FleetSummary } from '../api/schemas.js';
import { replaceFileAtomically } from '../store/durable-fs.js';
import { resolveOutputFile } from '../store/output-file.js';
import { readStore, storePaths } from '../store/store.js';
import { fingerprintSha256 } from '../trust/index.js';
import { readAgentsFile } from './agents.js';
import { FailureFileTail } from './auth-failures.js';
import { clientsCsv, type ClientsCsvLabels } from './csv.js';
import { fleetPaths } from './paths.js';

export interface FleetService {
  summary(): Promise<FleetSummary>;
  clientsWithoutValidCertificate(request: { offset: number; limit: number }): Promise<{ total: number; agents: AgentRecord[] }>;
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

/** The fleet, sorted by agent id, with the current certificate's fingerprint (null: none yet). */
export interface FleetView {
  current: string | null;
  agents: AgentRecord[];
  without: AgentRecord[];
}

export function fleetService(dataDir: string): FleetService & { view(): Promise<FleetView> } {
  const paths = fleetPaths(dataDir);
  const agentsFile = cachedFile(paths.agents, async () => (await readAgentsFile(paths.agents)).sort((a, b) => (a.agentId < b.agentId ? -1 : a.agentId > b.agentId ? 1 : 0)));
  const currentFile = cachedFile(storePaths(dataDir).current, async () => {
    const snapshot = await readStore(dataDir);
    return snapshot ? fingerprintSha256(Buffer.from(snapshot.state.current.certificateDer, 'base64')) : null;
  });
  const failures = new FailureFileTail(paths.authFailures);
  let lastView: { agents: AgentRecord[]; current: string | null; view: FleetView } | null = null;

  const view = async (): Promise<FleetView> => {
    const [agents, current] = await Promise.all([agentsFile(), currentFile()]);
    if (lastView && lastView.agents === agents && lastView.current === current) return lastView.view;
    const result = { current, agents, without: agents.filter((a) => a.trustedFingerprint !== current) };
    lastView = { agents, current, view: result };
    return result;
  };

  return {
    view,
    async summary() {
      const { agents, without } = await view();
      return { total: agents.length, trustingCurrent: agents.length - without.length, withoutValidCertificate: without.length };
    },
    async clientsWithoutValidCertificate({ offset, limit }) {
      const { without } = await view();
      return { total: without.length, agents: without.slice(offset, offset + limit) };
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
export function watchFleet(dataDir: string, onChange: (summary: FleetSummary) => void, options: { intervalMs?: number } = {}): FleetWatch {
  const paths = fleetPaths(dataDir);
  const service = fleetService(dataDir);
  const watched = [paths.agents, paths.authFailures, storePaths(dataDir).current];
  let last: string | null = null;
  let busy = false;
  let closed = false;
  const check = async () => {
    if (busy || closed) return;
    busy = true;
    try {
      const key = (await Promise.all(watched.map(signature))).join('|');
      if (last !== null && key !== last && !closed) onChange(await service.summary());
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
