/**
 * What the whole renderer shares: the store status, settings, fleet summary and app info,
 * kept fresh by the push events of the contract.
 */
import type { EventOf } from '../../../core/api/contract.js';
import { DEFAULT_SETTINGS as LIMIT_DEFAULT_SETTINGS } from '../../../core/limits.js';
import type { FleetSummary, Settings, StoreStatus } from '../../../core/schemas.js';
import { getApi, toUiError, type UiError } from './api.js';
import { resolveLanguage } from './i18n-core.js';
import { setLanguage } from './i18n.svelte.js';

interface AppInfo {
  version: string;
  locale: string;
  platform: string;
  dataDir: string;
}

// One source for the defaults (core/limits.ts is import-free, so the bundle stays small).
const DEFAULT_SETTINGS: Settings = { ...LIMIT_DEFAULT_SETTINGS };

export const app = $state<{
  phase: 'loading' | 'ready' | 'failed';
  loadError: UiError | null;
  info: AppInfo | null;
  status: StoreStatus | null;
  settings: Settings;
  fleet: FleetSummary | null;
  fleetError: boolean;
  fleetUpdatedAt: Date | null;
  /** Latest progress event, for whichever long operation is running. */
  progress: EventOf<'progress'> | null;
}>({
  phase: 'loading',
  loadError: null,
  info: null,
  status: null,
  settings: DEFAULT_SETTINGS,
  fleet: null,
  fleetError: false,
  fleetUpdatedAt: null,
  progress: null,
});

let subscribed = false;

function applyLanguage(): Promise<void> {
  return setLanguage(resolveLanguage(app.settings.language, app.info?.locale ?? navigator.language));
}

export async function loadApp(): Promise<void> {
  const api = getApi();
  app.phase = 'loading';
  app.loadError = null;
  if (!subscribed) {
    subscribed = true;
    api.on('progress', (event) => (app.progress = event));
    api.on('statusChanged', (status) => (app.status = status));
    api.on('fleetChanged', (fleet) => {
      app.fleet = fleet;
      app.fleetError = false;
      app.fleetUpdatedAt = new Date();
    });
  }
  try {
    // The three answers do not depend on each other: ask at once, not one round trip after another.
    const info = api.appInfo({});
    // Settings only choose the language and thresholds: defaults are fine if they fail.
    const settings = api.getSettings({}).catch(() => DEFAULT_SETTINGS);
    const status = api.getStatus({});
    status.catch(() => {}); // awaited below, unless appInfo fails first
    app.info = await info;
    app.settings = await settings;
    await applyLanguage();
    app.status = await status;
    app.phase = 'ready';
    if (app.status.hasCertificate) void refreshFleet();
  } catch (error) {
    await applyLanguage().catch(() => {});
    app.loadError = toUiError(error);
    app.phase = 'failed';
  }
}

export async function refreshStatus(): Promise<void> {
  app.status = await getApi().getStatus({});
}

export async function refreshFleet(): Promise<void> {
  try {
    app.fleet = await getApi().fleetSummary({});
    app.fleetError = false;
    app.fleetUpdatedAt = new Date();
  } catch {
    app.fleetError = true;
  }
}

export async function updateSettings(settings: Settings): Promise<void> {
  app.settings = settings;
  await applyLanguage();
}
