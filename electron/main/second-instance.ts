/**
 * A second launch while the window is open. Electron gives the running instance the second
 * one's `additionalData` (app.requestSingleInstanceLock(additionalData) -> the 'second-instance'
 * event's fourth argument), and the second instance quits. We pass the store the second launch
 * asked for, so the running window can say plainly when it is not the one it shows.
 *
 * Any local program can start a second instance with any data: it is validated here, and only
 * ever shown to the admin, never acted on.
 */
import path from 'node:path';

interface SecondInstanceData {
  dataDir: string;
}

const MAX_PATH_CHARS = 32_767; // the longest Windows path

export function secondInstanceData(dataDir: string): SecondInstanceData {
  return { dataDir };
}

/** The store the second launch asked for, or null when the data is not ours or not sane. */
export function requestedDataDir(additionalData: unknown): string | null {
  if (typeof additionalData !== 'object' || additionalData === null) return null;
  const dataDir = (additionalData as { dataDir?: unknown }).dataDir;
  if (typeof dataDir !== 'string' || dataDir.length === 0 || dataDir.length > MAX_PATH_CHARS || dataDir.includes('\0')) return null;
  return dataDir;
}

/** Windows paths compare without regard to case or a trailing separator. */
export function isSameDataDir(a: string, b: string, platform: NodeJS.Platform): boolean {
  const p = platform === 'win32' ? path.win32 : path.posix;
  const norm = (x: string) => {
    const r = p.resolve(x);
    return platform === 'win32' || platform === 'darwin' ? r.toLowerCase() : r;
  };
  return norm(a) === norm(b);
}
