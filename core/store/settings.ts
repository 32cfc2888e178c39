/** The admin's settings (settings.json in the data folder), validated on read and write. */
import { readFile } from 'node:fs/promises';
import { DEFAULT_SETTINGS, SettingsSchema, type Settings } from '../schemas.js';
import { replaceFileAtomically } from './durable-fs.js';
import { ensureDataDir, storePaths } from './store.js';

export async function readSettings(dataDir: string): Promise<Settings> {
  try {
    const parsed = SettingsSchema.partial().safeParse(JSON.parse(await readFile(storePaths(dataDir).settings, 'utf8')));
    return { ...DEFAULT_SETTINGS, ...(parsed.success ? parsed.data : {}) };
  } catch {
    return { ...DEFAULT_SETTINGS };
  }
}

export async function updateSettings(dataDir: string, change: Partial<Settings>): Promise<Settings> {
  const next = SettingsSchema.parse({ ...(await readSettings(dataDir)), ...change });
  await ensureDataDir(dataDir);
  await replaceFileAtomically(storePaths(dataDir).settings, JSON.stringify(next, null, 2) + '\n', 0o600);
  return next;
}
