/**
 * Where the store lives, for the app: `--data-dir <dir>` / `--data-dir=<dir>` on the command
 * line, else core's rule (CERTIFICATEMANAGER_DATA_DIR, else the per-OS default of
 * core/store/paths.ts) — the same rule as the CLI and `serve`, so they can never disagree.
 */
import { currentPlatform, resolveDataDir, type PlatformFacts } from '../../core/store/paths.js';

const DATA_DIR_FLAG = '--data-dir';

/** `--data-dir X` or `--data-dir=X`; the last one wins; null when absent or empty. */
export function dataDirFromArgs(args: readonly string[]): string | null {
  let found: string | null = null;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === DATA_DIR_FLAG) {
      const next = args[i + 1];
      if (next !== undefined && next.length > 0) found = next;
      i++;
    } else if (arg.startsWith(`${DATA_DIR_FLAG}=`)) {
      const value = arg.slice(DATA_DIR_FLAG.length + 1);
      if (value.length > 0) found = value;
    }
  }
  return found;
}

export function dataDirForApp(args: readonly string[], facts: PlatformFacts = currentPlatform()): string {
  return resolveDataDir(dataDirFromArgs(args) ?? undefined, facts);
}
