// electron-builder hooks for the Windows build (wired in electron-builder.config.mjs).
//
// beforePack: before Electron is copied and app.asar packed. Refuses at once, saying what to do,
//   what would otherwise fail only after the packing: a release build (CM_REQUIRE_CODE_SIGNING=1)
//   with no code-signing certificate, and a console launcher that is missing or not fit to ship.
// afterExtract: right after Electron is unpacked into the output directory. A local Electron
//   (electronDist) still carries Electron's default app; it must not ship, and it must be gone
//   before electron-builder computes the asar integrity list.
// afterPack: after app.asar and the extra files are in place, before fuses, resources and
//   signatures. Refuses to go on when anything that would end up in the installer is wrong
//   (missing or wrong console launcher, test code or source maps in app.asar, dev dependencies).
import { readFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join, relative, resolve } from 'node:path';
import { DEFAULT_LAUNCHER_SUBDIR, LAUNCHER_FILE, checkLauncherImage } from './build-launcher.mjs';
import { verifyWindowsApp } from './verify-package.mjs';

/** builder-util's Arch enum: 1 is x64. */
const ARCH_X64 = 1;

/** Where scripts/installer/build-launcher.mjs wrote the console launcher (CM_LAUNCHER_DIR, or its default folder). */
export function launcherDirFor(projectDir, env = process.env) {
  return resolve(projectDir, env.CM_LAUNCHER_DIR || DEFAULT_LAUNCHER_SUBDIR);
}

/** What stops a build before anything is packed (empty when it may go on). */
export function problemsBeforePack(projectDir, env = process.env) {
  const problems = [];
  if (env.CM_REQUIRE_CODE_SIGNING === '1' && !env.WIN_CSC_LINK && !env.CSC_LINK) {
    problems.push('CM_REQUIRE_CODE_SIGNING=1 but no code-signing certificate is given: set WIN_CSC_LINK (or CSC_LINK) and its password (docs/installer.md, "Code signing")');
  }
  const dir = launcherDirFor(projectDir, env);
  const launcher = join(dir, LAUNCHER_FILE);
  const shown = relative(projectDir, launcher).split('\\').join('/');
  const build = `node scripts/installer/build-launcher.mjs${env.CM_LAUNCHER_DIR ? ` --out ${dir}` : ''}`;
  let image = null;
  try {
    image = readFileSync(launcher);
  } catch {
    // missing, or not a file: said below
  }
  if (!image) problems.push(`missing console launcher ${shown} (run ${build} first)`);
  else for (const p of checkLauncherImage(image)) problems.push(`${shown}: ${p}`);
  return problems;
}

/** `env` is the build's environment; electron-builder passes only the context. */
export async function beforePack(context, env = process.env) {
  if (context.electronPlatformName !== 'win32') return;
  if (context.arch !== ARCH_X64) throw new Error('CertificateManager is built for Windows x64 only (the console launcher is x64).');
  const problems = problemsBeforePack(context.packager.projectDir, env);
  if (problems.length) throw new Error(`the Windows build cannot start:\n- ${problems.join('\n- ')}`);
}

export async function afterExtract(context) {
  if (context.electronPlatformName !== 'win32') return;
  await rm(join(context.appOutDir, 'resources', 'default_app.asar'), { force: true });
}

export async function afterPack(context) {
  if (context.electronPlatformName !== 'win32') return;
  if (context.arch !== ARCH_X64) {
    throw new Error('CertificateManager is built for Windows x64 only (the console launcher is x64).');
  }
  const problems = await verifyWindowsApp(context.appOutDir, {
    phase: 'afterPack',
    productFilename: context.packager.appInfo.productFilename,
    projectDir: context.packager.projectDir,
  });
  if (problems.length) {
    throw new Error(`the Windows package is not fit to ship:\n- ${problems.join('\n- ')}`);
  }
}
