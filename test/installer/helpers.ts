// Shared helpers for the installer tests: where the real Windows executables are, and the
// optional tools that let more of the Windows side run here (MinGW-w64 to build the console
// launcher, Wine to run it, makensis to compile the NSIS script). Tests that need a tool that is
// missing are skipped, never faked.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { resolveToolchain } from '../../scripts/installer/build-launcher.mjs';

export const ROOT = resolve(import.meta.dirname, '..', '..');
export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** Every .exe under node_modules (real Windows programs shipped by npm packages). */
export function findNodeModulesExes(): string[] {
  const out: string[] = [];
  const walk = (dir: string, depth: number) => {
    if (depth > 8) return;
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const p = join(dir, name);
      let st;
      try {
        st = statSync(p);
      } catch {
        continue;
      }
      if (st.isDirectory()) walk(p, depth + 1);
      else if (/\.exe$/i.test(name)) out.push(p);
    }
  };
  walk(join(ROOT, 'node_modules'), 0);
  return out.sort();
}

/**
 * 7-Zip's 64-bit console program among `exes`: 7z.exe where it was unpacked, else 7z-x64.exe,
 * which is all a fresh `npm ci` installs. The one lookup every installer test uses.
 */
export function findSevenZip(exes: string[]): string | undefined {
  const named = (name: string) => exes.find((p) => basename(p).toLowerCase() === name);
  return named('7z.exe') ?? named('7z-x64.exe');
}

export function commandWorks(cmd: string, args: string[] = ['--version']): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !r.error && r.status === 0;
}

export const toolchain = resolveToolchain();
export const hasMingw = toolchain !== null;
export const hasMakensis = commandWorks('makensis', ['-VERSION']);

/** The Wine loader for 64-bit programs, if any. */
export const wineBinary: string | null = (() => {
  for (const candidate of ['wine64', 'wine', '/usr/lib/wine/wine64', '/usr/lib64/wine/wine64']) {
    if (commandWorks(candidate, ['--version'])) return candidate;
  }
  return null;
})();

const wineServerBinary: string | null = (() => {
  if (!wineBinary) return null;
  for (const candidate of ['wineserver', 'wineserver64', '/usr/lib/wine/wineserver', '/usr/lib64/wine/wineserver']) {
    const r = spawnSync(candidate, ['--version'], { stdio: 'ignore' });
    if (!r.error) return candidate;
  }
  return null;
})();

export const wineEnv = (prefix: string) => ({ ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', DISPLAY: '' });

/**
 * A fresh Wine prefix with its own persistent wineserver (so each program start takes a fraction
 * of a second instead of seconds). Call disposeWinePrefix() when done.
 */
export function createWinePrefix(): string {
  const prefix = mkdtempSync(join(tmpdir(), 'cm-wine-'));
  if (wineServerBinary) spawnSync(wineServerBinary, ['-p'], { env: wineEnv(prefix), stdio: 'ignore' });
  // stdio ignored: wineboot leaves Wine's background services running, and they would hold
  // captured pipes open.
  const r = spawnSync(wineBinary!, ['wineboot', '--init'], { env: wineEnv(prefix), stdio: 'ignore', timeout: 110_000 });
  if (r.status !== 0) throw new Error(`wineboot failed with ${r.status ?? r.error}`);
  return prefix;
}

/** Stops this prefix's wineserver (and the programs in it) and deletes the prefix. */
export function disposeWinePrefix(prefix: string): void {
  if (wineServerBinary) spawnSync(wineServerBinary, ['-k'], { env: wineEnv(prefix), stdio: 'ignore' });
  rmSync(prefix, { recursive: true, force: true });
}

export function wine(
  prefix: string,
  args: string[],
  options: { input?: string; timeout?: number; cwd?: string } = {},
): SpawnSyncReturns<string> {
  if (!wineBinary) throw new Error('no wine');
  return spawnSync(wineBinary, args, {
    cwd: options.cwd,
    input: options.input ?? '',
    encoding: 'utf8',
    timeout: options.timeout ?? 60_000,
    env: wineEnv(prefix),
  });
}

/**
 * Builds the test stand-in for CertificateManager.exe (test/installer/fixtures/fake-app.c): a
 * GUI-subsystem x64 program with a version resource, a manifest and an Electron-style fuse wire.
 */
export function buildFakeApp(outFile: string): string {
  const work = mkdtempSync(join(tmpdir(), 'cm-fake-'));
  const run = (cmd: string, args: string[]) => {
    const r = spawnSync(cmd, args, { cwd: work, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stdout}${r.stderr}`);
  };
  try {
    if (!toolchain) throw new Error('no MinGW-w64 toolchain');
    run(toolchain.windres, ['-O', 'coff', '-I', FIXTURES, '-i', join(FIXTURES, 'fake-app.rc'), '-o', 'res.o']);
    mkdirSync(resolve(outFile, '..'), { recursive: true });
    run(toolchain.cc, ['-municode', '-mwindows', '-Os', '-s', '-Wall', '-o', outFile, join(FIXTURES, 'fake-app.c'), 'res.o', '-lshell32']);
    return outFile;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}
