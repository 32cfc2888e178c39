#!/usr/bin/env node
// Builds the console launcher (scripts/installer/launcher/launcher.c) that the installer ships as
// bin\certificatemanager.exe and certificatemanager.com; see docs/console-entry-point.md.
//
//   node scripts/installer/build-launcher.mjs [--out dist/launcher/x64]
//
// Needs MinGW-w64 GCC, cross or native: x86_64-w64-mingw32-gcc and -windres (Debian/Ubuntu:
// apt install gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64; Windows: MSYS2's UCRT64 gcc).
// CM_LAUNCHER_CC / CM_LAUNCHER_WINDRES name other tools (see resolveToolchain).
// The result is checked before it is written: x64 PE32+, console subsystem, imports KERNEL32 only.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine, Subsystem, listImportedDlls, readPeHeaders, withUpdatedChecksum } from './pe.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '..', '..');
export const LAUNCHER_SOURCE_DIR = join(here, 'launcher');
/** Where the launcher goes, relative to the project (electron-builder.config.mjs takes it from there). */
export const DEFAULT_LAUNCHER_SUBDIR = join('dist', 'launcher', 'x64');
export const DEFAULT_LAUNCHER_DIR = join(repo, DEFAULT_LAUNCHER_SUBDIR);
export const LAUNCHER_FILE = 'certificatemanager.exe';
/** The only DLL the launcher may import (compared case-insensitively). */
export const ALLOWED_LAUNCHER_IMPORTS = ['kernel32.dll'];

const works = (tool, args) => {
  const r = spawnSync(tool, args, { encoding: 'utf8' });
  return !r.error && r.status === 0 ? r.stdout : null;
};

/**
 * The MinGW-w64 GCC and resource compiler: CM_LAUNCHER_CC / CM_LAUNCHER_WINDRES when set, else
 * the x86_64-w64-mingw32- tools (Linux cross compilers, MSYS2), else plain gcc/windres when gcc
 * targets x86_64-w64-mingw32 (MSYS2 UCRT64 shell). Null when none is found.
 * @returns {{ cc: string, windres: string } | null}
 */
export function resolveToolchain() {
  // A tool named in the environment is the only candidate: no silent fallback.
  const ccs = process.env.CM_LAUNCHER_CC ? [process.env.CM_LAUNCHER_CC] : ['x86_64-w64-mingw32-gcc', 'gcc'];
  const windreses = process.env.CM_LAUNCHER_WINDRES ? [process.env.CM_LAUNCHER_WINDRES] : ['x86_64-w64-mingw32-windres', 'windres'];
  const cc = ccs.find((tool) => /x86_64-w64-mingw32/.test(works(tool, ['-dumpmachine']) ?? ''));
  const windres = windreses.find((tool) => works(tool, ['--version']) !== null);
  return cc && windres ? { cc, windres } : null;
}

/** True when the launcher can be built on this machine. */
export function toolchainAvailable() {
  return resolveToolchain() !== null;
}

function run(tool, args, cwd) {
  const result = spawnSync(tool, args, { cwd, encoding: 'utf8' });
  if (result.error) throw new Error(`${tool} could not be started (${result.error.message}). ${installHint()}`);
  if (result.status !== 0) throw new Error(`${tool} ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

function installHint() {
  return 'Install MinGW-w64 (Debian/Ubuntu: apt install gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64; Windows: MSYS2 ucrt64 gcc) or set CM_LAUNCHER_CC and CM_LAUNCHER_WINDRES.';
}

/** "1.2.3-beta.4" -> [1, 2, 3, 0] (Windows version resources are four 16-bit numbers). */
export function windowsVersion(version) {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!m) throw new Error(`not a semantic version: ${version}`);
  const parts = [Number(m[1]), Number(m[2]), Number(m[3]), 0];
  if (parts.some((p) => p > 0xffff)) throw new Error(`version part too large for Windows: ${version}`);
  return parts;
}

const rcString = (s) => `"${String(s).replace(/"/g, '""')}"`;

function resourceScript({ version, productName, iconPath }) {
  const v = windowsVersion(version).join(',');
  const manifest = join(LAUNCHER_SOURCE_DIR, 'launcher.manifest').replace(/\\/g, '/');
  return `#include <winver.h>
1 24 ${rcString(manifest)}
${iconPath ? `1 ICON ${rcString(iconPath.replace(/\\/g, '/'))}\n` : ''}VS_VERSION_INFO VERSIONINFO
FILEVERSION ${v}
PRODUCTVERSION ${v}
FILEFLAGSMASK 0x3fL
FILEFLAGS 0x0L
FILEOS VOS_NT_WINDOWS32
FILETYPE VFT_APP
FILESUBTYPE 0x0L
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "FileDescription", ${rcString(`${productName} command line (console launcher)`)}
      VALUE "FileVersion", ${rcString(version)}
      VALUE "InternalName", "certificatemanager"
      VALUE "OriginalFilename", ${rcString(LAUNCHER_FILE)}
      VALUE "ProductName", ${rcString(productName)}
      VALUE "ProductVersion", ${rcString(version)}
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
`;
}

/**
 * Checks a built launcher; returns the list of problems (empty when it is fine).
 * @param {Uint8Array} image
 */
export function checkLauncherImage(image) {
  const problems = [];
  let headers;
  try {
    headers = readPeHeaders(image);
  } catch (e) {
    return [`not a PE image: ${e instanceof Error ? e.message : String(e)}`];
  }
  if (headers.machine !== Machine.AMD64) problems.push(`machine 0x${headers.machine.toString(16)} is not x64 (0x8664)`);
  if (headers.format !== 'PE32+') problems.push(`format ${headers.format} is not PE32+`);
  if (headers.isDll) problems.push('is a DLL');
  if (headers.subsystem !== Subsystem.WINDOWS_CUI) problems.push(`subsystem ${headers.subsystem} is not the console subsystem (3)`);
  // ASLR (0x40) and DEP (0x100) must be on; high-entropy ASLR (0x20) for 64-bit.
  for (const [bit, name] of [[0x20, 'HIGH_ENTROPY_VA'], [0x40, 'DYNAMIC_BASE'], [0x100, 'NX_COMPAT']]) {
    if ((headers.dllCharacteristics & bit) === 0) problems.push(`DllCharacteristics lacks ${name}`);
  }
  const imports = listImportedDlls(image).map((d) => d.toLowerCase());
  const extra = imports.filter((d) => !ALLOWED_LAUNCHER_IMPORTS.includes(d));
  if (extra.length) problems.push(`imports DLLs other than KERNEL32: ${extra.join(', ')}`);
  return problems;
}

/**
 * Compiles the launcher and writes <outDir>/certificatemanager.exe.
 * @param {{ outDir?: string, version?: string, productName?: string, iconPath?: string | null }} [options]
 * @returns {string} path of the launcher
 */
export function buildLauncher(options = {}) {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  const outDir = resolve(options.outDir ?? DEFAULT_LAUNCHER_DIR);
  const version = options.version ?? pkg.version;
  const productName = options.productName ?? pkg.productName ?? 'CertificateManager';
  const defaultIcon = join(repo, 'build', 'icon.ico');
  const iconPath = options.iconPath === undefined ? (existsSync(defaultIcon) ? defaultIcon : null) : options.iconPath;

  const tools = resolveToolchain();
  if (!tools) throw new Error(`no MinGW-w64 x86_64 toolchain found. ${installHint()}`);
  const work = mkdtempSync(join(tmpdir(), 'cm-launcher-'));
  try {
    writeFileSync(join(work, 'launcher.rc'), resourceScript({ version, productName, iconPath }));
    run(tools.windres, ['-O', 'coff', '-i', 'launcher.rc', '-o', 'launcher.res.o'], work);
    const exe = join(work, LAUNCHER_FILE);
    run(
      tools.cc,
      [
        '-std=c11', '-Os', '-Wall', '-Wextra', '-Werror',
        '-ffreestanding', '-fno-builtin', '-fno-tree-loop-distribute-patterns', '-fno-stack-protector', '-fno-ident',
        '-mconsole', '-nostdlib', '-e', 'launcher_main', '-s',
        '-Wl,--dynamicbase', '-Wl,--nxcompat', '-Wl,--high-entropy-va', '-Wl,--no-insert-timestamp', '-Wl,--gc-sections',
        '-o', exe, join(LAUNCHER_SOURCE_DIR, 'launcher.c'), 'launcher.res.o', '-lkernel32',
      ],
      work,
    );
    const image = withUpdatedChecksum(readFileSync(exe));
    const problems = checkLauncherImage(image);
    if (problems.length) throw new Error(`the built launcher is not acceptable:\n- ${problems.join('\n- ')}`);
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, LAUNCHER_FILE);
    writeFileSync(out, image);
    return out;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out');
  try {
    const out = buildLauncher(i > 0 ? { outDir: process.argv[i + 1] } : {});
    console.log(`console launcher written to ${out} (${readFileSync(out).length} bytes)`);
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  }
}
