// Shared helpers for the installer tests: where the real Windows executables are, and the
// optional tools that let more of the Windows side run here (MinGW-w64 to build the console
// launcher, Wine to run it, makensis to compile the NSIS script). Tests that need a tool that is
// missing are skipped, never faked.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { inject } from 'vitest';
import { resolveToolchain } from '../../scripts/installer/build-launcher.mjs';
import { wineServerBinary } from './wine-server.js';

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

export const wineEnv = (prefix: string) => ({ ...process.env, WINEPREFIX: prefix, WINEDEBUG: '-all', WINEDLLOVERRIDES: 'mscoree,mshtml=', DISPLAY: '' });

/**
 * The run's Wine prefix, shared by every file that runs Windows programs (nsis.test.ts,
 * launcher.test.ts): `wineboot --init` costs ~5 s of CPU, once per run instead of once per file.
 * The first caller makes it, with its own persistent wineserver (so each program start takes a
 * fraction of a second instead of seconds); callers in other workers wait for it. The global
 * setup stops its wineserver and deletes it when the run ends. Files that share it keep to their
 * own folders and registry keys.
 */
export async function sharedWinePrefix(): Promise<string> {
  const root = inject('runScratch');
  const prefix = join(root, 'wine-prefix');
  const ready = join(root, 'wine-prefix.ready');
  const failed = join(root, 'wine-prefix.failed');
  try {
    mkdirSync(join(root, 'wine-prefix.claim'));
  } catch {
    // Another file is making it.
    const deadline = Date.now() + 150_000;
    while (!existsSync(ready)) {
      if (existsSync(failed)) throw new Error(`the shared Wine prefix could not be made: ${readFileSync(failed, 'utf8')}`);
      if (Date.now() > deadline) throw new Error('timed out waiting for the shared Wine prefix');
      await new Promise((r) => setTimeout(r, 200));
    }
    return prefix;
  }
  try {
    mkdirSync(prefix);
    const server = wineServerBinary();
    if (server) spawnSync(server, ['-p'], { env: wineEnv(prefix), stdio: 'ignore' });
    // stdio ignored: wineboot leaves Wine's background services running, and they would hold
    // captured pipes open.
    const r = spawnSync(wineBinary!, ['wineboot', '--init'], { env: wineEnv(prefix), stdio: 'ignore', timeout: 110_000 });
    if (r.status !== 0) throw new Error(`wineboot failed with ${r.status ?? r.error}`);
    writeFileSync(ready, '');
    return prefix;
  } catch (error) {
    writeFileSync(failed, String(error));
    throw error;
  }
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
