// electron-builder itself, offline, with this configuration: `--win --x64 --dir` on a copy of the
// project whose dist/ is laid out like a real build with traps in it (source maps, the test
// bridge, keys), node_modules as installed, the real console launcher, and a stand-in for the
// Windows Electron build (a MinGW-built GUI program with Electron's fuse wire; the real one cannot
// be downloaded here). Then the unpacked app is inspected: app.asar's file list, fuses,
// elevation manifest, asar integrity, launcher layout, and that signing was skipped cleanly.
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildLauncher } from '../../scripts/installer/build-launcher.mjs';
import { hasAuthenticodeSignature, sectionsDigest } from '../../scripts/installer/pe.mjs';
import {
  asarHeaderHash,
  embeddedAsarIntegrity,
  listAsar,
  manifestExecutionLevel,
  readFuses,
  verifyWindowsApp,
} from '../../scripts/installer/verify-package.mjs';
import { ROOT, buildFakeApp, hasMingw } from './helpers.js';

const APP_FILES = {
  'dist/electron/main.js': 'export {};',
  'dist/electron/main/app.js': 'export {};',
  'dist/electron/preload.cjs': '"use strict";',
  'dist/core/cli/main.js': 'export async function runCli() { return 0; }',
  'dist/renderer/index.html': '<!doctype html>',
  'dist/renderer/assets/index-4f2a.js': 'console.log(1)',
};
const TRAPS = {
  'dist/electron/main.js.map': '{"sourcesContent":["const password = \\"hunter2\\""]}',
  'dist/renderer/assets/index-4f2a.js.map': '{}',
  'dist/core/cli/main.d.ts': 'export {};',
  'dist/test/bridge/bridge.js': 'bridge',
  'dist/core/fixtures/server.pem': '-----BEGIN PRIVATE KEY-----',
  'dist/renderer/.env': 'SECRET=1',
  'test/bridge/bridge.ts': 'bridge',
  'core/cli/main.ts': 'source',
  '.env': 'SECRET=1',
};

function write(root: string, files: Record<string, string>) {
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, rel)), { recursive: true });
    writeFileSync(join(root, rel), content);
  }
}

describe.skipIf(!hasMingw)('electron-builder --win --x64 --dir with electron-builder.config.mjs (offline)', () => {
  let project: string;
  let app: string;
  let build: SpawnSyncReturns<string>;
  let asarFiles: string[];
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
    version: string;
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };

  const electronBuilder = (extraArgs: string[], env: Record<string, string> = {}) => {
    const clean = { ...process.env };
    // no certificate, no CM_ switches; and no VITEST, which silences electron-builder's log
    for (const k of Object.keys(clean)) if (/^(WIN_)?CSC_|^CM_|^VITEST/.test(k)) delete clean[k];
    return spawnSync(process.execPath, [join(project, 'node_modules', 'electron-builder', 'cli.js'), '--win', '--x64', '--dir', '--config', 'electron-builder.config.mjs', ...extraArgs], {
      cwd: project,
      encoding: 'utf8',
      timeout: 170_000,
      env: { ...clean, CM_ELECTRON_DIST: join(project, '..', 'electron-dist'), ELECTRON_BUILDER_CACHE: join(project, '..', 'cache'), ...env },
    });
  };

  beforeAll(() => {
    const base = mkdtempSync(join(tmpdir(), 'cm-package-'));
    project = join(base, 'project');
    mkdirSync(project);
    for (const f of ['package.json', 'package-lock.json', 'electron-builder.config.mjs', '.gitignore']) cpSync(join(ROOT, f), join(project, f));
    for (const d of ['build', join('scripts', 'installer')]) cpSync(join(ROOT, d), join(project, d), { recursive: true });
    // node_modules exactly as installed (hard links: quick, and npm sees the real tree)
    const linked = spawnSync('cp', ['-al', join(ROOT, 'node_modules'), join(project, 'node_modules')]);
    if (linked.status !== 0) cpSync(join(ROOT, 'node_modules'), join(project, 'node_modules'), { recursive: true, verbatimSymlinks: true });
    write(project, { ...APP_FILES, ...TRAPS });
    buildLauncher({ outDir: join(project, 'dist', 'launcher', 'x64') });

    // The Windows Electron stand-in, laid out like electron-v45-win32-x64.zip unpacked.
    const electron = join(base, 'electron-dist');
    buildFakeApp(join(electron, 'electron.exe'));
    write(electron, {
      'locales/en-US.pak': 'en',
      'locales/ja.pak': 'ja',
      'locales/de.pak': 'de',
      'locales/fr.pak': 'fr',
      'resources/default_app.asar': 'default app',
      LICENSE: 'MIT',
      version: '45.5.0',
    });

    build = electronBuilder([]);
    app = join(project, 'release', 'win-unpacked');
    if (build.status === 0) asarFiles = listAsar(join(app, 'resources', 'app.asar'));
  }, 180_000);

  afterAll(() => {
    if (project) rmSync(dirname(project), { recursive: true, force: true });
  });

  it('builds without a certificate, skipping signing cleanly for every executable', () => {
    expect(build.status, build.stdout + build.stderr).toBe(0);
    const log = build.stdout + build.stderr;
    for (const file of ['CertificateManager.exe', 'bin/certificatemanager.exe', 'certificatemanager.com']) {
      expect(log).toMatch(new RegExp(`signing is skipped\\s+path=release/win-unpacked/${file.replace('.', '\\.')}`));
    }
    for (const file of ['CertificateManager.exe', 'bin/certificatemanager.exe', 'certificatemanager.com']) {
      expect(hasAuthenticodeSignature(readFileSync(join(app, file))), file).toBe(false);
    }
  });

  it('passes the full package verification (what npm run dist:win runs at the end)', async () => {
    const { electronFuses } = (await import(join(project, 'electron-builder.config.mjs'))) as { electronFuses: Record<string, boolean> };
    expect(await verifyWindowsApp(app, { phase: 'final', projectDir: project, expectedFuses: electronFuses })).toEqual([]);
    const cli = spawnSync(process.execPath, [join(project, 'scripts', 'installer', 'verify-package.mjs'), app], { cwd: project, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.stdout).toMatch(/verified .*NOT signed/);
  });

  it('packs the compiled app, package.json and the production dependencies only', () => {
    const own = asarFiles.filter((f) => !f.startsWith('node_modules/'));
    expect(own).toEqual(['package.json', ...Object.keys(APP_FILES)].sort());
    const modules = new Set(asarFiles.filter((f) => f.startsWith('node_modules/')).map((f) => f.split('/').slice(1, f.split('/')[1]!.startsWith('@') ? 3 : 2).join('/')));
    for (const dep of Object.keys(pkg.dependencies)) expect(modules.has(dep), dep).toBe(true);
    // transitive production dependencies come along (fastify needs avvio, proper-lockfile needs retry)
    expect(modules.has('avvio')).toBe(true);
    expect(modules.has('retry')).toBe(true);
    for (const dev of Object.keys(pkg.devDependencies)) expect(modules.has(dev), dev).toBe(false);
    for (const f of asarFiles) {
      expect(f).not.toMatch(/\.map$/);
      expect(f).not.toMatch(/(^|\/)bridge(\/|$)/);
      expect(f).not.toMatch(/\.(pem|p12|pfx|key)$/);
      expect(f).not.toMatch(/(^|\/)\.env$/);
    }
  });

  it('writes a package.json without scripts or development dependencies', async () => {
    const asar = createRequire(join(project, 'node_modules', 'app-builder-lib', 'package.json'))('@electron/asar') as {
      extractFile(archive: string, file: string): Buffer;
    };
    const packed = JSON.parse(asar.extractFile(join(app, 'resources', 'app.asar'), 'package.json').toString('utf8'));
    expect(packed).toMatchObject({ name: 'certificatemanager', productName: 'CertificateManager', version: pkg.version, main: 'dist/electron/main.js' });
    expect(packed.devDependencies).toBeUndefined();
    expect(packed.scripts).toBeUndefined();
  });

  it('flips the fuses in the executable as configured', async () => {
    expect(await readFuses(join(app, 'CertificateManager.exe'))).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('makes the executable require administrator rights and embeds the app.asar hash', () => {
    const exe = readFileSync(join(app, 'CertificateManager.exe'));
    expect(manifestExecutionLevel(exe)).toBe('requireAdministrator');
    expect(embeddedAsarIntegrity(exe)).toEqual([{ file: 'resources\\app.asar', alg: 'SHA256', value: asarHeaderHash(join(app, 'resources', 'app.asar')) }]);
    const utf16 = exe.toString('utf16le') + exe.subarray(1).toString('utf16le');
    expect(utf16).toContain('CertificateManager');
  });

  it('lays out the console launcher, drops Electron’s default app and unused locales', () => {
    expect(readdirSync(join(app, 'bin'))).toEqual(['certificatemanager.exe']);
    expect(sectionsDigest(readFileSync(join(app, 'certificatemanager.com')))).toBe(sectionsDigest(readFileSync(join(app, 'bin', 'certificatemanager.exe'))));
    expect(readdirSync(join(app, 'resources'))).toEqual(['app.asar']);
    expect(readdirSync(join(app, 'locales')).sort()).toEqual(['en-US.pak', 'ja.pak']);
    expect(existsSync(join(app, 'LICENSE.electron.txt'))).toBe(true);
  });

  // The two refusals come from the beforePack hook: before Electron is copied or anything packed.
  it('fails instead of shipping unsigned files when CM_REQUIRE_CODE_SIGNING=1, before packing anything', () => {
    const strict = electronBuilder(['-c.directories.output=release-strict'], { CM_REQUIRE_CODE_SIGNING: '1' });
    expect(strict.status).not.toBe(0);
    expect(strict.stdout + strict.stderr).toMatch(/CM_REQUIRE_CODE_SIGNING=1 but no code-signing certificate is given/);
    expect(existsSync(join(project, 'release-strict', 'win-unpacked'))).toBe(false);
  }, 180_000);

  it('refuses to package without the console launcher, before packing anything', () => {
    rmSync(join(project, 'dist', 'launcher'), { recursive: true, force: true });
    const missing = electronBuilder(['-c.directories.output=release-nolauncher']);
    expect(missing.status).not.toBe(0);
    expect(missing.stdout + missing.stderr).toMatch(/missing console launcher dist\/launcher\/x64\/certificatemanager\.exe/);
    expect(existsSync(join(project, 'release-nolauncher', 'win-unpacked'))).toBe(false);
  }, 180_000);
});
