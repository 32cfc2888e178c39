/**
 * The contract's implementation: each operation calls the same core function the CLI calls.
 * Electron's IPC registration and the test-only HTTP bridge both serve exactly this object, so
 * there is one implementation of every feature. Host-specific pieces (native dialogs, where
 * events go, the app's version and locale) are injected.
 */
import type { ApiHandlers, EventKey, EventOf } from './contract.js';
import { usageError } from '../errors.js';

export interface ServiceEnvironment {
  dataDir: string;
  emit: <E extends EventKey>(event: E, payload: EventOf<E>) => void;
  dialogs: {
    showOpen(purpose: 'backup'): Promise<string | null>;
    showSave(purpose: 'backup' | 'agent-certificate' | 'clients-csv', defaultName?: string): Promise<string | null>;
  };
  appInfo: { version: string; locale: string; platform: string };
}

export function createApiHandlers(env: ServiceEnvironment): ApiHandlers {
  const notYet = (name: string) => async (): Promise<never> => {
    throw usageError('NOT_IMPLEMENTED', `${name} is not implemented yet`);
  };
  void env;
  return {
    getStatus: notYet('getStatus'),
    appInfo: async () => ({ ...env.appInfo, dataDir: env.dataDir }),
    generate: notYet('generate'),
    inspectBackup: notYet('inspectBackup'),
    importCertificate: notYet('importCertificate'),
    restore: notYet('restore'),
    backup: notYet('backup'),
    renew: notYet('renew'),
    exportAgentCertificate: notYet('exportAgentCertificate'),
    passwordStrength: notYet('passwordStrength'),
    fleetSummary: notYet('fleetSummary'),
    clientsWithoutValidCertificate: notYet('clientsWithoutValidCertificate'),
    exportClientsCsv: notYet('exportClientsCsv'),
    queryAuthFailures: notYet('queryAuthFailures'),
    getSettings: notYet('getSettings'),
    setSettings: notYet('setSettings'),
    showOpenDialog: async ({ purpose }) => ({ path: await env.dialogs.showOpen(purpose) }),
    showSaveDialog: async ({ purpose, defaultName }) => ({ path: await env.dialogs.showSave(purpose, defaultName) }),
  };
}
