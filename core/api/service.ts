/**
 * The contract's implementation: each operation calls the same core function the CLI calls.
 * Electron's IPC registration and the test-only HTTP bridge both serve exactly this object, so
 * there is one implementation of every feature. Host-specific pieces (native dialogs, where
 * events go, the app's version and locale) are injected.
 */
import type { ApiHandlers, EventKey, EventOf } from './contract.js';
import type { OpenPurpose, SavePurpose } from './dialog-purposes.js';
import { backupCertificate, exportAgentCertificate, generateCertificate, getStatus, verifyBackup, renewCertificate, restoreCertificate, type OperationContext } from '../ops/index.js';
import { readSettings, updateSettings } from '../store/settings.js';
import { estimatePasswordStrength } from './password-strength.js';
import { PathGrants } from './path-grants.js';

/**
 * The fleet code (agent records, auth-failure logs, their watcher) loads when a screen first
 * asks for fleet figures, not when the app starts: the first-run wizard never needs it.
 * Event watchers started before that begin once it has loaded (startFleetEvents).
 */
type FleetModule = typeof import('../fleet/service.js');
let fleetModule: Promise<FleetModule> | undefined;
const fleetLoaded: Array<(module: FleetModule) => void> = [];
function loadFleet(): Promise<FleetModule> {
  return (fleetModule ??= import('../fleet/service.js').then((module) => {
    for (const start of fleetLoaded.splice(0)) start(module);
    return module;
  }));
}

interface ServiceEnvironment {
  dataDir: string;
  emit: <E extends EventKey>(event: E, payload: EventOf<E>) => void;
  dialogs: {
    showOpen(purpose: OpenPurpose): Promise<string | null>;
    showSave(purpose: SavePurpose, defaultName?: string): Promise<string | null>;
  };
  appInfo: { version: string; locale: string; platform: string };
  /** PBKDF2 iterations for new backups; only tests lower it. */
  iterations?: number;
  /** Where new keys come from (OperationContext.newPrivateKey); only tests set it. */
  newPrivateKey?: OperationContext['newPrivateKey'];
}

export function createApiHandlers(env: ServiceEnvironment): ApiHandlers {
  const { dataDir } = env;
  const context: OperationContext = { dataDir, onProgress: (event) => env.emit('progress', event), iterations: env.iterations, newPrivateKey: env.newPrivateKey, via: 'app' };
  let fleetOfStore: Promise<ReturnType<FleetModule['fleetService']>> | undefined;
  const fleet = () => (fleetOfStore ??= loadFleet().then((module) => module.fleetService(dataDir)));
  // Files are only those the admin picked in a native dialog (path-grants.ts says why).
  const grants = new PathGrants();
  const chosenBackup = (path: string) => grants.require('open-backup', path);
  const changed = async <T>(result: T): Promise<T> => {
    env.emit('statusChanged', await getStatus(dataDir));
    return result;
  };
  return {
    getStatus: () => getStatus(dataDir),
    appInfo: async () => ({ ...env.appInfo, dataDir }),
    generate: async (r) => changed(await generateCertificate(context, r)),
    verifyBackup: (r) => verifyBackup(context, { ...r, path: chosenBackup(r.path) }),
    importCertificate: async (r) => changed(await restoreCertificate(context, { ...r, path: chosenBackup(r.path), requireEmptyStore: true })),
    restore: async (r) => changed(await restoreCertificate(context, { ...r, path: chosenBackup(r.path) })),
    backup: (r) => backupCertificate(context, { password: r.password, outPath: grants.require('save-backup', r.path) }),
    renew: async (r) => changed(await renewCertificate(context, r)),
    exportAgentCertificate: async (r) => ({ path: (await exportAgentCertificate(context, grants.require('save-agent-certificate', r.path))).path }),
    exportPfx: async (r) => {
      const { exportPfx } = await import('../ops/export-pfx.js');
      return exportPfx(context, { password: r.password, outPath: grants.require('save-pfx', r.path), compat: r.compat });
    },
    passwordStrength: async (r) => estimatePasswordStrength(r.password, r.userInputs),
    fleetSummary: async () => (await fleet()).summary(),
    clientsWithoutValidCertificate: async (r) => (await fleet()).clientsWithoutValidCertificate(r),
    exportClientsCsv: async (r) => {
      const path = grants.require('save-clients-csv', r.path);
      return (await fleet()).exportClientsCsv(path, r.labels);
    },
    queryAuthFailures: async (r) => (await fleet()).queryAuthFailures(r),
    queryHistory: async (r) => (await import('../audit/history.js')).queryHistory(dataDir, r),
    exportHistoryCsv: async (r) => {
      const path = grants.require('save-history-csv', r.path);
      const { historyCsv, historyForExport } = await import('../audit/history.js');
      const { replaceFileAtomically } = await import('../store/durable-fs.js');
      const { resolveOutputFile } = await import('../store/output-file.js');
      const target = await resolveOutputFile(dataDir, path, 'history.csv');
      const entries = await historyForExport(dataDir, r);
      await replaceFileAtomically(target, historyCsv(entries, r.labels), 0o644);
      return { path: target, count: entries.length };
    },
    getSettings: () => readSettings(dataDir),
    setSettings: async (r) => {
      const saved = await updateSettings(dataDir, r);
      const { recordChange } = await import('../ops/audit-trail.js');
      await recordChange(context, { operation: 'settings', details: Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'object' ? JSON.stringify(v) : v])) });
      return saved;
    },
    showOpenDialog: async ({ purpose }) => ({ path: grants.grant(`open-${purpose}`, await env.dialogs.showOpen(purpose)) }),
    showSaveDialog: async ({ purpose, defaultName }) => ({ path: grants.grant(`save-${purpose}`, await env.dialogs.showSave(purpose, defaultName)) }),
  };
}

/**
 * Pushes `fleetChanged` whenever agents check in, upload logs, or the certificate changes
 * (whoever changed it: this app, the CLI, or `serve`). Hosts call it next to createApiHandlers.
 */
export function startFleetEvents(env: Pick<ServiceEnvironment, 'dataDir' | 'emit'>): { close(): void } {
  let watch: { close(): void } | undefined;
  let closed = false;
  const start = (module: FleetModule) => {
    if (!closed) watch = module.watchFleet(env.dataDir, (summary) => env.emit('fleetChanged', summary));
  };
  if (fleetModule) void fleetModule.then(start);
  else fleetLoaded.push(start);
  return {
    close() {
      closed = true;
      watch?.close();
    },
  };
}
