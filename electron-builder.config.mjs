// electron-builder configuration for the Windows installer. How to build, sign and ship it, and
// why each option is what it is: docs/installer.md. The console command: docs/console-entry-point.md.
// Every option here is asserted by test/installer/config.test.ts.
//
// Environment:
//   CSC_LINK / CSC_KEY_PASSWORD, or WIN_CSC_LINK / WIN_CSC_KEY_PASSWORD   code-signing certificate
//        (.pfx/.p12 path, https URL or base64), read by electron-builder itself. Absent: no signing.
//   CM_REQUIRE_CODE_SIGNING=1   fail the build instead of producing unsigned files (release builds)
//   CM_TIMESTAMP_SERVER         RFC 3161 time-stamp server (default http://timestamp.digicert.com)
//   CM_ELECTRON_DIST            a local Electron for Windows x64 (unpacked directory or the
//        electron-v<version>-win32-x64.zip), for offline builds; on Windows the one that
//        `npm install` put into node_modules/electron/dist is used when present
//   CM_LAUNCHER_DIR             where scripts/installer/build-launcher.mjs wrote the console
//        launcher (default dist/launcher/x64)
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterExtract, afterPack, beforePack, launcherDirFor } from './scripts/installer/hooks.mjs';
import { electronFuses } from './scripts/installer/fuses.mjs';

const projectDir = path.dirname(fileURLToPath(import.meta.url));

// Electron fuses, flipped in the executable before it is signed (docs/security.md, item 19).
export { electronFuses };

function electronDist() {
  if (process.env.CM_ELECTRON_DIST) return path.resolve(projectDir, process.env.CM_ELECTRON_DIST);
  const installed = path.join(projectDir, 'node_modules', 'electron', 'dist');
  if (process.platform === 'win32' && process.arch === 'x64' && existsSync(path.join(installed, 'electron.exe'))) return installed;
  return undefined; // electron-builder downloads (or takes from its cache) the matching Electron
}

const launcherDir = launcherDirFor(projectDir);

/** @type {import('electron-builder').Configuration} */
const config = {
  appId: 'com.certificatemanager.app', // never change it: the NSIS upgrade and uninstall keys derive from it
  productName: 'CertificateManager',
  executableName: 'CertificateManager',
  directories: { output: 'release', buildResources: 'build' },

  // What goes into resources/app.asar: the compiled app only. package.json and the production
  // dependencies (never devDependencies) are added by electron-builder itself. No source maps,
  // no TypeScript sources, no test code (the test bridge in particular), no keys or certificates.
  files: [
    'dist/electron/**/*',
    'dist/core/**/*',
    'dist/renderer/**/*',
    '!**/*.map',
    '!**/*.{ts,mts,cts,tsx,tsbuildinfo}',
    '!**/test/**',
    '!dist/**/bridge/**',
    '!**/*.{pem,key,crt,cer,p12,pfx,jks}',
    '!**/.env',
    '!**/.env.*',
  ],
  asar: true, // with electron-builder's asar integrity (disableAsarIntegrity stays unset)
  electronFuses: { ...electronFuses },
  electronDist: electronDist(),
  electronLanguages: ['en-US', 'ja'],
  npmRebuild: false, // no native modules; turn on if one is ever added
  publish: null,
  forceCodeSigning: process.env.CM_REQUIRE_CODE_SIGNING === '1',

  // The console command (docs/console-entry-point.md): the same small launcher twice, signed like
  // the app. bin\ holds nothing else, so putting bin\ on the PATH exposes no Electron DLL.
  // bin\ is copied as a directory on purpose: electron-builder signs .exe files copied that way
  // as they are copied (it never signs a single-file extraFiles entry in a subfolder); the .com in
  // the top folder is signed with the app's own files (signExts below).
  extraFiles: [
    { from: launcherDir, to: 'bin', filter: ['certificatemanager.exe'] },
    { from: path.join(launcherDir, 'certificatemanager.exe'), to: 'certificatemanager.com' },
  ],
  beforePack,
  afterExtract,
  afterPack,

  win: {
    target: [{ target: 'nsis', arch: ['x64'] }],
    icon: 'build/icon.ico',
    // It manages the machine-wide key in %ProgramData%: UAC asks once when it starts.
    requestedExecutionLevel: 'requireAdministrator',
    // Signing uses CSC_LINK/WIN_CSC_LINK and their passwords from the environment; without them
    // electron-builder logs "signing is skipped" and carries on.
    signtoolOptions: {
      signingHashAlgorithms: ['sha256'],
      rfc3161TimeStampServer: process.env.CM_TIMESTAMP_SERVER || 'http://timestamp.digicert.com',
    },
    signExts: ['.com'], // .exe files are signed anyway; the .com launcher too
  },

  nsis: {
    oneClick: false, // assisted installer: pages, a Finish page with the data-directory note
    perMachine: true, // Program Files, HKLM, for every administrator of the server
    allowElevation: true,
    allowToChangeInstallationDirectory: false, // Program Files only: its ACL keeps users from replacing an exe that admins run elevated
    createStartMenuShortcut: true,
    shortcutName: 'CertificateManager',
    menuCategory: false,
    createDesktopShortcut: false,
    runAfterFinish: false, // the app needs elevation; starting it from the installer would ask a second time
    deleteAppDataOnUninstall: false, // and the certificate store is never under AppData anyway
    include: 'build/installer.nsh',
    // English and Japanese, picked by the Windows display language (NSIS's default choice;
    // any other display language gets English). No selector dialog: the admin is asked nothing
    // more. Every custom text in installer.nsh has both versions (docs/installer.md).
    multiLanguageInstaller: true,
    installerLanguages: ['en_US', 'ja_JP'],
    language: '1033',
    displayLanguageSelector: false,
    installerIcon: 'build/icon.ico',
    uninstallerIcon: 'build/icon.ico',
    artifactName: '${productName}-Setup-${version}-${arch}.${ext}',
    uninstallDisplayName: '${productName} ${version}',
    warningsAsErrors: true,
  },
};

export default config;
