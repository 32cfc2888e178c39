#!/usr/bin/env node
// Checks an unpacked Windows build (release/win-unpacked) before anyone ships it:
//   node scripts/installer/verify-package.mjs [release/win-unpacked]
// The afterPack hook runs the "afterPack" subset (before fuses, resources and signatures are
// applied); `npm run dist:win` / `dist:dir` run the full check at the end. Exit code 1 and a list
// of problems when anything is wrong. See docs/installer.md.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine, Subsystem, hasAuthenticodeSignature, readPeHeaders, sectionsDigest } from './pe.mjs';
import { LAUNCHER_FILE, checkLauncherImage } from './build-launcher.mjs';
import { electronFuses } from './fuses.mjs';

const here = dirname(fileURLToPath(import.meta.url));
export const PROJECT_DIR = resolve(here, '..', '..');
const require = createRequire(import.meta.url);
/** Modules electron-builder itself depends on, loaded from its own dependency tree. */
const builderRequire = createRequire(require.resolve('app-builder-lib/package.json'));

/** Paths that must never be inside app.asar (test code, sources, secrets). */
export const FORBIDDEN_APP_FILES = [
  { pattern: /\.map$/i, why: 'source map (may embed sources and secrets)' },
  { pattern: /(^|\/)test\/bridge(\/|$)/i, why: 'test-only HTTP bridge' },
  { pattern: /^dist\/(.*\/)?bridge(\/|$)/i, why: 'test-only HTTP bridge' },
  { pattern: /^dist\/test(\/|$)/i, why: 'compiled test code' },
  { pattern: /\.(ts|mts|cts|tsx|tsbuildinfo)$/i, why: 'TypeScript source' },
  { pattern: /\.(pem|key|crt|cer|p12|pfx|jks)$/i, why: 'key or certificate file' },
  { pattern: /(^|\/)\.env(\.[^/]*)?$/i, why: 'environment file' },
];

/** Top-level entries app.asar may have, and what dist/ may hold. */
const ALLOWED_TOP = new Set(['package.json', 'dist', 'node_modules']);
const ALLOWED_DIST = new Set(['electron', 'core', 'renderer']);

/** Every file path in an asar archive ("dist/electron/main.js", ...), sorted. */
export function listAsar(asarPath) {
  const { header } = builderRequire('@electron/asar').getRawHeader(asarPath);
  const out = [];
  const walk = (node, prefix) => {
    for (const [name, entry] of Object.entries(node.files ?? {})) {
      const p = prefix ? `${prefix}/${name}` : name;
      if (entry.files) walk(entry, p);
      else out.push(p);
    }
  };
  walk(header, '');
  return out.sort();
}

/** SHA-256 of the asar header, as electron-builder embeds it for asar integrity. */
export function asarHeaderHash(asarPath) {
  const { headerString } = builderRequire('@electron/asar').getRawHeader(asarPath);
  return createHash('sha256').update(headerString).digest('hex');
}

function readPackageJson(projectDir) {
  return JSON.parse(readFileSync(join(projectDir, 'package.json'), 'utf8'));
}

/**
 * Problems in the list of files packed into app.asar.
 * @param {string[]} files
 * @param {{ main: string, devDependencies?: Record<string, string>, dependencies?: Record<string, string> }} pkg
 */
export function checkAppFiles(files, pkg) {
  const problems = [];
  const set = new Set(files);
  for (const file of files) {
    const top = file.split('/')[0];
    if (!ALLOWED_TOP.has(top)) problems.push(`app.asar: unexpected top-level entry ${file}`);
    if (top === 'dist' && !ALLOWED_DIST.has(file.split('/')[1] ?? '')) problems.push(`app.asar: unexpected file under dist/: ${file}`);
    for (const { pattern, why } of FORBIDDEN_APP_FILES) if (pattern.test(file)) problems.push(`app.asar: ${why}: ${file}`);
  }
  const prod = new Set(Object.keys(pkg.dependencies ?? {}));
  for (const dev of Object.keys(pkg.devDependencies ?? {})) {
    if (prod.has(dev)) continue;
    if (files.some((f) => f.startsWith(`node_modules/${dev}/`))) problems.push(`app.asar: development dependency packed: ${dev}`);
  }
  for (const required of ['package.json', pkg.main.replace(/^\.\//, ''), 'dist/electron/preload.cjs', 'dist/renderer/index.html']) {
    if (!set.has(required)) problems.push(`app.asar: missing ${required}`);
  }
  return problems;
}

function readResources(image) {
  const resedit = builderRequire('resedit');
  const exe = resedit.NtExecutable.from(image, { ignoreCert: true });
  return resedit.NtExecutableResource.from(exe).entries;
}

/** The requestedExecutionLevel in the executable's embedded manifest (RT_MANIFEST), or null. */
export function manifestExecutionLevel(image) {
  const manifest = readResources(image).find((e) => e.type === 24);
  if (!manifest) return null;
  const xml = Buffer.from(manifest.bin).toString('utf8');
  return /<requestedExecutionLevel[^>]*\blevel="([^"]*)"/i.exec(xml)?.[1] ?? null;
}

/** The asar integrity list electron-builder embedded (resource INTEGRITY/ELECTRONASAR), or null. */
export function embeddedAsarIntegrity(image) {
  const entry = readResources(image).find((e) => e.type === 'INTEGRITY' && e.id === 'ELECTRONASAR');
  return entry ? JSON.parse(Buffer.from(entry.bin).toString('utf8')) : null;
}

/** Fuse states as @electron/fuses reads them: { runAsNode: true|false|'removed', ... }. */
export async function readFuses(exePath) {
  const fuses = builderRequire('@electron/fuses');
  const wire = await fuses.getCurrentFuseWire(exePath);
  // @electron/fuses' FuseState (not exported): the wire holds ASCII '1', '0' or 'r'.
  const ENABLE = 0x31, DISABLE = 0x30;
  const names = {
    runAsNode: fuses.FuseV1Options.RunAsNode,
    enableCookieEncryption: fuses.FuseV1Options.EnableCookieEncryption,
    enableNodeOptionsEnvironmentVariable: fuses.FuseV1Options.EnableNodeOptionsEnvironmentVariable,
    enableNodeCliInspectArguments: fuses.FuseV1Options.EnableNodeCliInspectArguments,
    enableEmbeddedAsarIntegrityValidation: fuses.FuseV1Options.EnableEmbeddedAsarIntegrityValidation,
    onlyLoadAppFromAsar: fuses.FuseV1Options.OnlyLoadAppFromAsar,
    loadBrowserProcessSpecificV8Snapshot: fuses.FuseV1Options.LoadBrowserProcessSpecificV8Snapshot,
    grantFileProtocolExtraPrivileges: fuses.FuseV1Options.GrantFileProtocolExtraPrivileges,
  };
  const out = {};
  for (const [name, index] of Object.entries(names)) {
    const state = wire[index];
    out[name] = state === ENABLE ? true : state === DISABLE ? false : state === undefined ? 'absent' : 'removed';
  }
  return out;
}

/**
 * Checks an unpacked Windows app directory; returns the problems found (empty: fine).
 * phase "afterPack": files, executables and launcher (fuses, manifest, integrity come later).
 * phase "final": everything, including fuses, the elevation manifest, asar integrity and, when
 * requireSignature is set, Authenticode signatures.
 * @param {string} appOutDir
 * @param {{ phase?: 'afterPack' | 'final', productFilename?: string, projectDir?: string,
 *           expectedFuses?: Record<string, boolean>, requireSignature?: boolean }} [options]
 */
export async function verifyWindowsApp(appOutDir, options = {}) {
  const phase = options.phase ?? 'final';
  const projectDir = options.projectDir ?? PROJECT_DIR;
  const productFilename = options.productFilename ?? 'CertificateManager';
  const problems = [];
  const at = (rel) => join(appOutDir, rel);

  // The app executable: Electron, a 64-bit GUI program.
  const exePath = at(`${productFilename}.exe`);
  let exe = null;
  if (!existsSync(exePath)) problems.push(`missing ${productFilename}.exe`);
  else {
    exe = readFileSync(exePath);
    try {
      const h = readPeHeaders(exe);
      if (h.machine !== Machine.AMD64) problems.push(`${productFilename}.exe is not an x64 executable`);
      if (h.subsystem !== Subsystem.WINDOWS_GUI) problems.push(`${productFilename}.exe is not a GUI-subsystem executable (subsystem ${h.subsystem})`);
    } catch (e) {
      problems.push(`${productFilename}.exe: ${e instanceof Error ? e.message : String(e)}`);
    }
  }

  // The console launcher, twice, byte for byte the same; bin\ holds nothing else.
  const launcherPaths = [`bin/${LAUNCHER_FILE}`, 'certificatemanager.com'];
  const launchers = launcherPaths.map((rel) => (existsSync(at(rel)) ? readFileSync(at(rel)) : null));
  launcherPaths.forEach((rel, i) => {
    const image = launchers[i];
    if (!image) problems.push(`missing console launcher ${rel} (run node scripts/installer/build-launcher.mjs first)`);
    else for (const p of checkLauncherImage(image)) problems.push(`${rel}: ${p}`);
  });
  // Same program; their signatures (added separately) may differ, so compare the sections.
  if (launchers[0] && launchers[1] && sectionsDigest(launchers[0]) !== sectionsDigest(launchers[1])) {
    problems.push(`bin/${LAUNCHER_FILE} and certificatemanager.com are different programs`);
  }
  if (existsSync(at('bin'))) {
    const extra = readdirSync(at('bin')).filter((f) => f.toLowerCase() !== LAUNCHER_FILE);
    if (extra.length) problems.push(`bin\\ must hold only the launcher (it goes on the PATH), found: ${extra.join(', ')}`);
  }

  // resources: app.asar only (no loose app folder, no Electron default app).
  if (existsSync(at('resources/default_app.asar'))) problems.push('resources/default_app.asar (Electron default app) is packaged');
  if (existsSync(at('resources/app')) && statSync(at('resources/app')).isDirectory()) problems.push('resources/app/ exists: the app must be in app.asar');
  if (existsSync(at('resources/app.asar.unpacked'))) problems.push('resources/app.asar.unpacked exists: nothing should be unpacked');
  const asarPath = at('resources/app.asar');
  if (!existsSync(asarPath)) problems.push('missing resources/app.asar');
  else problems.push(...checkAppFiles(listAsar(asarPath), readPackageJson(projectDir)));

  if (phase === 'final' && exe) {
    const fuses = await readFuses(exePath).catch((e) => {
      problems.push(`cannot read Electron fuses: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    });
    if (fuses && options.expectedFuses) {
      for (const [name, want] of Object.entries(options.expectedFuses)) {
        if (fuses[name] !== want) problems.push(`fuse ${name} is ${fuses[name]}, expected ${want}`);
      }
    }
    const level = manifestExecutionLevel(exe);
    if (level !== 'requireAdministrator') problems.push(`${productFilename}.exe manifest requestedExecutionLevel is ${level}, expected requireAdministrator`);
    const integrity = embeddedAsarIntegrity(exe);
    const entry = integrity?.find((i) => i.file.toLowerCase() === 'resources\\app.asar');
    if (!entry) problems.push(`${productFilename}.exe has no asar integrity entry for resources\\app.asar`);
    else if (existsSync(asarPath) && (entry.alg !== 'SHA256' || entry.value !== asarHeaderHash(asarPath))) {
      problems.push('the asar integrity hash in the executable does not match resources/app.asar');
    }
    if (options.requireSignature) {
      for (const rel of [`${productFilename}.exe`, ...launcherPaths]) {
        if (existsSync(at(rel)) && !hasAuthenticodeSignature(readFileSync(at(rel)))) problems.push(`${rel} is not signed`);
      }
    }
  }
  return problems;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const appOutDir = resolve(process.argv[2] ?? join(PROJECT_DIR, 'release', 'win-unpacked'));
  const problems = await verifyWindowsApp(appOutDir, {
    phase: 'final',
    expectedFuses: electronFuses,
    requireSignature: process.env.CM_REQUIRE_CODE_SIGNING === '1',
  });
  if (problems.length) {
    console.error(`${appOutDir} is NOT fit to ship:\n- ${problems.join('\n- ')}`);
    process.exit(1);
  }
  const signed = hasAuthenticodeSignature(readFileSync(join(appOutDir, 'CertificateManager.exe')));
  console.log(`${appOutDir}: verified (fuses, elevation manifest, asar integrity, launcher, packaged files)${signed ? ', signed' : ', NOT signed'}`);
}
