// Wine's server program, for the helpers that start a prefix and for the global setup that
// stops the run's shared prefix (test/installer/helpers.ts, test/global-setup.ts).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

let found: string | null | undefined;

/** The wineserver program, or null without Wine. Looked for once, when first asked. */
export function wineServerBinary(): string | null {
  if (found !== undefined) return found;
  found = null;
  for (const candidate of ['wineserver', 'wineserver64', '/usr/lib/wine/wineserver', '/usr/lib64/wine/wineserver']) {
    if (!spawnSync(candidate, ['--version'], { stdio: 'ignore' }).error) return (found = candidate);
  }
  return found;
}

/** Stops the wineserver of `prefix` and every program still running in it. */
export function stopWineServer(prefix: string): void {
  const server = existsSync(prefix) ? wineServerBinary() : null;
  if (server) spawnSync(server, ['-k'], { env: { ...process.env, WINEPREFIX: prefix }, stdio: 'ignore' });
}
