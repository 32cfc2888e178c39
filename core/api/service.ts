/**
 * The contract's implementation: each operation calls the same core function the CLI calls.
 * Electron's IPC registration and the test-only HTTP bridge both serve exactly this object, so
 * there is one implementation of every feature. Host-specific pieces (native dialogs, where
 * events go, the app's version and locale) are injected.
 */
import type { ApiHandlers, EventKey, EventOf } from './contract.js';
import { backupCertificate, exportAgentCertificate, generateCertificate, getStatus, inspectBackup, renewCertificate, restoreCertificate, type OperationContext } from '../ops/index.js';
import { readSettings, updateSettings } from '../store/settings.js';
import { estimatePasswordStrength } from './password-strength.js';
import { fleetService, watchFleet } from '../fleet/service.js';
import { PathGrants } from './path-grants.js';

export interface ServiceEnvironment {
  dataDir: string;
  emit: <E extends EventKey>(event: E, payload: EventOf<E>) => void;
  dialogs: {
    showOpen(purpose: 'backup'): Promise<string | null>;
    showSave(purpose: 'backup' | 'agent-certificate' | 'clients-csv', defaultName?: string): Promise<string | null>;
  };
  appInfo: { version: string; locale: string; platform: string };
  /** PBKDF2 iterations for new backups; only tests lower it. */
  iterations?: number;
}

export function createApiHandlers(env: ServiceEnvironment): ApiHandlers {
  const { dataDir } = env;
  const context: OperationContext = { dataDir, onProgress: (event) => env.emit('progress', event), iterations: env.iterations };
  const fleet = fleetService(dataDir);
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
    generate: async (r) => changed(await generateCertificate(context, { password: r.password, commonName: r.subject, keySize: r.keySize, validityDays: r.validityDays })),
    inspectBackup: (r) => inspectBackup(context, { ...r, path: chosenBackup(r.path) }),
    importCertificate: async (r) => changed(await restoreCertificate(context, { ...r, path: chosenBackup(r.path), requireEmptyStore: true })),
    restore: async (r) => changed(await restoreCertificate(context, { ...r, path: chosenBackup(r.path) })),
    backup: (r) => backupCertificate(context, { password: r.password, outPath: grants.require('save-backup', r.path) }),
    renew: async (r) => changed(await renewCertificate(context, r)),
    exportAgentCertificate: async (r) => ({ path: (await exportAgentCertificate(context, grants.require('save-agent-certificate', r.path))).path }),
    passwordStrength: async (r) => estimatePasswordStrength(r.password, r.userInputs),
    fleetSummary: () => fleet.summary(),
    clientsWithoutValidCertificate: (r) => fleet.clientsWithoutValidCertificate(r),
    exportClientsCsv: (r) => fleet.exportClientsCsv(grants.require('save-clients-csv', r.path)),
    queryAuthFailures: (r) => fleet.queryAuthFailures(r),
    getSettings: () => readSettings(dataDir),
    setSettings: (r) => updateSettings(dataDir, r),
    showOpenDialog: async ({ purpose }) => ({ path: grants.grant(`open-${purpose}`, await env.dialogs.showOpen(purpose)) }),
    showSaveDialog: async ({ purpose, defaultName }) => ({ path: grants.grant(`save-${purpose}`, await env.dialogs.showSave(purpose, defaultName)) }),
  };
}

/**
 * Pushes `fleetChanged` whenever agents check in, upload logs, or the certificate changes
 * (whoever changed it: this app, the CLI, or `serve`). Hosts call it next to createApiHandlers.
 */
export function startFleetEvents(env: Pick<ServiceEnvironment, 'dataDir' | 'emit'>): { close(): void } {
  return watchFleet(env.dataDir, (summary) => env.emit('fleetChanged', summary));
}
