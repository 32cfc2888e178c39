// electron-builder.config.mjs: every option the issue asks for, checked on the loaded
// configuration, plus electron-builder's own schema validation, the environment switches, the
// npm scripts and the afterPack hook's refusals.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Configuration } from 'electron-builder';
import { afterExtract, afterPack, beforePack, problemsBeforePack, type HookContext } from '../../scripts/installer/hooks.mjs';
import { ROOT, findNodeModulesExes } from './helpers.js';

const CONFIG = join(ROOT, 'electron-builder.config.mjs');
const configUrl = pathToFileURL(CONFIG).href;

type Loaded = { default: Configuration; electronFuses: Record<string, boolean> };
let config: Configuration;
let fuses: Record<string, boolean>;

/** The configuration as a fresh Node process loads it with the given environment (JSON only). */
function loadWithEnv(env: Record<string, string | undefined>): Record<string, unknown> {
  const script = `const c = (await import(${JSON.stringify(configUrl)})).default; process.stdout.write(JSON.stringify(c));`;
  const clean = { ...process.env };
  for (const k of ['CSC_LINK', 'CSC_KEY_PASSWORD', 'WIN_CSC_LINK', 'WIN_CSC_KEY_PASSWORD', 'CM_REQUIRE_CODE_SIGNING', 'CM_ELECTRON_DIST', 'CM_LAUNCHER_DIR', 'CM_TIMESTAMP_SERVER']) delete clean[k];
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: ROOT, env: { ...clean, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

beforeAll(async () => {
  const mod = (await import(configUrl)) as Loaded;
  config = mod.default;
  fuses = mod.electronFuses;
});

describe('identity', () => {
  it('has the fixed app id, product and executable names', () => {
    expect(config.appId).toBe('com.certificatemanager.app');
    expect(config.productName).toBe('CertificateManager');
    expect(config.executableName).toBe('CertificateManager');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.productName).toBe('CertificateManager');
    expect(pkg.main).toBe('dist/electron/main.js');
  });

  it('uses build/ as the resources folder and release/ as output', () => {
    expect(config.directories).toEqual({ output: 'release', buildResources: 'build' });
    expect(readFileSync(join(ROOT, '.gitignore'), 'utf8')).toMatch(/^release\/$/m);
  });

  it('passes electron-builder’s own configuration schema', async () => {
    const require = createRequire(import.meta.url);
    const { validateConfiguration } = require(join(ROOT, 'node_modules/app-builder-lib/out/util/config/config.js'));
    const logger = { isEnabled: false, add: () => undefined };
    await expect(validateConfiguration(config, logger)).resolves.toBeUndefined();
    // and the validation does bite: an unknown NSIS option is refused
    await expect(validateConfiguration({ ...config, nsis: { ...config.nsis, oneClik: false } }, logger)).rejects.toThrow(/configuration.nsis should be/);
  });
});

describe('Windows executable', () => {
  it('builds the NSIS target for x64', () => {
    expect(config.win?.target).toEqual([{ target: 'nsis', arch: ['x64'] }]);
  });

  it('asks for administrator rights when it starts', () => {
    expect(config.win?.requestedExecutionLevel).toBe('requireAdministrator');
    // resource editing (icon, version, manifest) must stay on
    expect(config.win?.signAndEditExecutable).toBeUndefined();
  });

  it('has an icon', () => {
    expect(config.win?.icon).toBe('build/icon.ico');
    expect(existsSync(join(ROOT, 'build', 'icon.ico'))).toBe(true);
  });

  it('sets every Electron fuse the security rules ask for', () => {
    expect(config.electronFuses).toEqual(fuses);
    expect(fuses).toEqual({
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

  it('packs the app into app.asar with asar integrity', () => {
    expect(config.asar).toBe(true);
    expect(config.disableAsarIntegrity).toBeUndefined();
    expect(config.asarUnpack).toBeUndefined();
  });

  it('keeps Electron locales to English and Japanese', () => {
    expect(config.electronLanguages).toEqual(['en-US', 'ja']);
  });
});

describe('code signing', () => {
  it('is wired to the standard electron-builder variables, never to a file in the config', () => {
    const sign = config.win?.signtoolOptions;
    expect(sign?.certificateFile).toBeUndefined();
    expect(sign?.certificatePassword).toBeUndefined();
    expect(sign?.certificateSha1).toBeUndefined();
    expect(sign?.sign).toBeUndefined();
    expect(sign?.signingHashAlgorithms).toEqual(['sha256']);
    expect(sign?.rfc3161TimeStampServer).toBe('http://timestamp.digicert.com');
    expect(config.win?.signExecutable).toBeUndefined();
    expect(config.win?.signExts).toEqual(['.com']);
    const text = readFileSync(CONFIG, 'utf8');
    for (const name of ['CSC_LINK', 'CSC_KEY_PASSWORD', 'WIN_CSC_LINK', 'WIN_CSC_KEY_PASSWORD']) expect(text).toContain(name);
  });

  it('is optional by default and required with CM_REQUIRE_CODE_SIGNING=1', () => {
    expect(loadWithEnv({}).forceCodeSigning).toBe(false);
    expect(loadWithEnv({ CSC_LINK: '/nonexistent.pfx', CSC_KEY_PASSWORD: 'x' }).forceCodeSigning).toBe(false);
    expect(loadWithEnv({ CM_REQUIRE_CODE_SIGNING: '1' }).forceCodeSigning).toBe(true);
  });

  it('takes another time-stamp server from CM_TIMESTAMP_SERVER', () => {
    const c = loadWithEnv({ CM_TIMESTAMP_SERVER: 'http://ts.example.test' }) as { win: { signtoolOptions: { rfc3161TimeStampServer: string } } };
    expect(c.win.signtoolOptions.rfc3161TimeStampServer).toBe('http://ts.example.test');
  });
});

describe('offline builds (electronDist)', () => {
  it('downloads Electron unless told where a local one is', () => {
    if (process.platform !== 'win32') expect(loadWithEnv({}).electronDist).toBeUndefined();
    const local = loadWithEnv({ CM_ELECTRON_DIST: 'vendor/electron-v45-win32-x64.zip' }).electronDist as string;
    expect(isAbsolute(local)).toBe(true);
    expect(local).toBe(join(ROOT, 'vendor', 'electron-v45-win32-x64.zip'));
  });

  it('needs no native rebuild and never publishes', () => {
    expect(config.npmRebuild).toBe(false);
    expect(config.publish).toBeNull();
  });
});

describe('console launcher files', () => {
  it('ships the launcher as bin\\certificatemanager.exe (signed on copy) and certificatemanager.com', () => {
    const launcherDir = join(ROOT, 'dist', 'launcher', 'x64');
    expect(config.extraFiles).toEqual([
      { from: launcherDir, to: 'bin', filter: ['certificatemanager.exe'] },
      { from: join(launcherDir, 'certificatemanager.exe'), to: 'certificatemanager.com' },
    ]);
    const moved = loadWithEnv({ CM_LAUNCHER_DIR: '/tmp/launcher' }) as { extraFiles: { from: string }[] };
    expect(moved.extraFiles[0]!.from).toBe('/tmp/launcher');
  });

  it('runs the hooks that check the package', () => {
    expect(config.beforePack).toBe(beforePack);
    expect(config.afterExtract).toBe(afterExtract);
    expect(config.afterPack).toBe(afterPack);
  });
});

describe('NSIS installer', () => {
  it('is an assisted, per-machine installer that asks for elevation', () => {
    expect(config.nsis).toMatchObject({ oneClick: false, perMachine: true, allowElevation: true, warningsAsErrors: true });
  });

  it('installs into Program Files only', () => {
    expect(config.nsis?.allowToChangeInstallationDirectory).toBe(false);
  });

  it('creates a Start-menu entry (and no desktop icon)', () => {
    expect(config.nsis).toMatchObject({ createStartMenuShortcut: true, shortcutName: 'CertificateManager', menuCategory: false, createDesktopShortcut: false });
  });

  it('does not start the app from the elevated installer, and never deletes app data', () => {
    expect(config.nsis?.runAfterFinish).toBe(false);
    expect(config.nsis?.deleteAppDataOnUninstall).toBe(false);
  });

  it('includes build/installer.nsh and the icons', () => {
    expect(config.nsis?.include).toBe('build/installer.nsh');
    expect(existsSync(join(ROOT, config.nsis!.include!))).toBe(true);
    expect(config.nsis?.installerIcon).toBe('build/icon.ico');
    expect(config.nsis?.uninstallerIcon).toBe('build/icon.ico');
  });

  it('speaks English and Japanese, chosen by the Windows display language without asking', () => {
    expect(config.nsis).toMatchObject({ multiLanguageInstaller: true, installerLanguages: ['en_US', 'ja_JP'], displayLanguageSelector: false });
  });

  it('names the artifact with product, version and architecture', () => {
    const name = config.nsis!.artifactName!;
    expect(name).toBe('${productName}-Setup-${version}-${arch}.${ext}');
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    const expanded = name.replace(/\$\{(\w+)\}/g, (_, k: string) => ({ productName: 'CertificateManager', version: pkg.version, arch: 'x64', ext: 'exe' })[k]!);
    expect(expanded).toBe(`CertificateManager-Setup-${pkg.version}-x64.exe`);
    expect(config.nsis?.uninstallDisplayName).toBe('${productName} ${version}');
  });
});

describe('npm scripts', () => {
  const scripts = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts as Record<string, string>;
  it('dist:win builds, makes the launcher, runs electron-builder for the NSIS installer and verifies', () => {
    const s = scripts['dist:win']!;
    expect(s).toMatch(/^npm run build && node scripts\/installer\/build-launcher\.mjs && electron-builder --win nsis --x64 --config electron-builder\.config\.mjs --publish never && node scripts\/installer\/verify-package\.mjs release\/win-unpacked$/);
  });
  it('dist:dir builds the unpacked app only', () => {
    expect(scripts['dist:dir']).toMatch(/electron-builder --win dir --x64 --config electron-builder\.config\.mjs --publish never && node scripts\/installer\/verify-package\.mjs release\/win-unpacked$/);
  });
});

describe('the hooks refuse a bad package', () => {
  const context = (appOutDir: string, overrides: Partial<HookContext> = {}): HookContext => ({
    appOutDir,
    electronPlatformName: 'win32',
    arch: 1,
    packager: { appInfo: { productFilename: 'CertificateManager' }, projectDir: ROOT },
    ...overrides,
  });

  it('does nothing for other platforms and refuses other architectures', async () => {
    await expect(afterPack(context('/nonexistent', { electronPlatformName: 'linux' }))).resolves.toBeUndefined();
    await expect(afterPack(context('/nonexistent', { arch: 3 }))).rejects.toThrow(/x64 only/);
  });

  it('lists what is wrong: a 32-bit exe, no launcher, no app.asar', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm-afterpack-'));
    try {
      const stub = findNodeModulesExes().find((p) => /StubExecutable\.exe$/i.test(p))!;
      copyFileSync(stub, join(dir, 'CertificateManager.exe'));
      mkdirSync(join(dir, 'bin'));
      writeFileSync(join(dir, 'bin', 'ffmpeg.dll'), '');
      const error = await afterPack(context(dir)).then(
        () => null,
        (e: Error) => e.message,
      );
      expect(error).toMatch(/CertificateManager\.exe is not an x64 executable/);
      expect(error).toMatch(/missing console launcher bin\/certificatemanager\.exe/);
      expect(error).toMatch(/missing console launcher certificatemanager\.com/);
      expect(error).toMatch(/bin\\ must hold only the launcher .*ffmpeg\.dll/);
      expect(error).toMatch(/missing resources\/app\.asar/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses before packing: a release build without a certificate, a missing or wrong launcher', async () => {
    const project = mkdtempSync(join(tmpdir(), 'cm-beforepack-'));
    try {
      const launcherDir = join(project, 'dist', 'launcher', 'x64');
      expect(problemsBeforePack(project, {})).toEqual(['missing console launcher dist/launcher/x64/certificatemanager.exe (run node scripts/installer/build-launcher.mjs first)']);
      mkdirSync(launcherDir, { recursive: true });
      const stub = findNodeModulesExes().find((p) => /StubExecutable\.exe$/i.test(p))!;
      copyFileSync(stub, join(launcherDir, 'certificatemanager.exe'));
      const wrong = problemsBeforePack(project, {});
      expect(wrong.length).toBeGreaterThan(0);
      for (const p of wrong) expect(p).toMatch(/^dist\/launcher\/x64\/certificatemanager\.exe: /);
      // CM_LAUNCHER_DIR points elsewhere; the signing switch needs a certificate.
      const other = join(project, 'elsewhere');
      expect(problemsBeforePack(project, { CM_LAUNCHER_DIR: other })[0]).toMatch(/missing console launcher elsewhere\/certificatemanager\.exe/);
      const unsigned = problemsBeforePack(project, { CM_REQUIRE_CODE_SIGNING: '1' });
      expect(unsigned[0]).toMatch(/^CM_REQUIRE_CODE_SIGNING=1 but no code-signing certificate is given: set WIN_CSC_LINK/);
      for (const env of [{ CM_REQUIRE_CODE_SIGNING: '1', WIN_CSC_LINK: 'cert.pfx' }, { CM_REQUIRE_CODE_SIGNING: '1', CSC_LINK: 'cert.pfx' }, {}]) {
        expect(problemsBeforePack(project, env).some((p) => p.startsWith('CM_REQUIRE_CODE_SIGNING'))).toBe(false);
      }
      const packager = { appInfo: { productFilename: 'CertificateManager' }, projectDir: project };
      await expect(beforePack({ electronPlatformName: 'linux', arch: 1, packager }, {})).resolves.toBeUndefined();
      await expect(beforePack({ electronPlatformName: 'win32', arch: 3, packager }, {})).rejects.toThrow(/x64 only/);
      await expect(beforePack({ electronPlatformName: 'win32', arch: 1, packager }, {})).rejects.toThrow(/^the Windows build cannot start:\n- dist\/launcher/);
      // A launcher path that is a folder is reported, not thrown; CM_LAUNCHER_DIR's hint builds there.
      mkdirSync(join(other, 'certificatemanager.exe'), { recursive: true });
      expect(problemsBeforePack(project, { CM_LAUNCHER_DIR: other })).toEqual([`missing console launcher elsewhere/certificatemanager.exe (run node scripts/installer/build-launcher.mjs --out ${other} first)`]);
    } finally {
      rmSync(project, { recursive: true, force: true });
    }
  });

  it('removes Electron’s default app after extraction', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cm-afterextract-'));
    try {
      mkdirSync(join(dir, 'resources'));
      writeFileSync(join(dir, 'resources', 'default_app.asar'), 'x');
      await afterExtract({ appOutDir: dir, electronPlatformName: 'win32' });
      expect(existsSync(join(dir, 'resources', 'default_app.asar'))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
