/**
 * Where the store lives. One rule, used by the CLI, the app and `serve`:
 * `--data-dir` beats CERTIFICATEMANAGER_DATA_DIR beats the per-OS default.
 */
import { homedir } from 'node:os';
import { join, resolve, win32 } from 'node:path';

const DATA_DIR_ENV = 'CERTIFICATEMANAGER_DATA_DIR';

export interface PlatformFacts {
  platform: NodeJS.Platform;
  env: Record<string, string | undefined>;
  isRoot?: boolean;
  home?: string;
}

/**
 * Windows: %ProgramData%\CertificateManager (machine-wide, survives uninstall and upgrade).
 * macOS: /Library/Application Support/CertificateManager.
 * Linux and others: /var/lib/certificatemanager for root, else $XDG_DATA_HOME/certificatemanager.
 */
export function defaultDataDir(facts: PlatformFacts = currentPlatform()): string {
  const { platform, env } = facts;
  if (platform === 'win32') return win32.join(env['ProgramData'] ?? env['PROGRAMDATA'] ?? 'C:\\ProgramData', 'CertificateManager');
  if (platform === 'darwin') return '/Library/Application Support/CertificateManager';
  if (facts.isRoot) return '/var/lib/certificatemanager';
  const dataHome = env['XDG_DATA_HOME'] || join(facts.home ?? homedir(), '.local', 'share');
  return join(dataHome, 'certificatemanager');
}

export function currentPlatform(): PlatformFacts {
  return { platform: process.platform, env: process.env, isRoot: typeof process.getuid === 'function' && process.getuid() === 0 };
}

export function resolveDataDir(flag: string | undefined, facts: PlatformFacts = currentPlatform()): string {
  const chosen = flag ?? facts.env[DATA_DIR_ENV];
  if (!chosen) return defaultDataDir(facts);
  return facts.platform === 'win32' ? win32.resolve(chosen) : resolve(chosen);
}
