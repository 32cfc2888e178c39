// electron-builder hooks for the Windows build (wired in electron-builder.config.mjs).
//
// afterExtract: right after Electron is unpacked into the output directory. A local Electron
//   (electronDist) still carries Electron's default app; it must not ship, and it must be gone
//   before electron-builder computes the asar integrity list.
// afterPack: after app.asar and the extra files are in place, before fuses, resources and
//   signatures. Refuses to go on when anything that would end up in the installer is wrong
//   (missing or wrong console launcher, test code or source maps in app.asar, dev dependencies).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { verifyWindowsApp } from './verify-package.mjs';

/** builder-util's Arch enum: 1 is x64. */
const ARCH_X64 = 1;

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
