/**
 * The one window's options. Every security-relevant webPreference is written out, even where it
 * is Electron's default, so a reader (and the test) sees the whole policy in one place.
 */
import type { BrowserWindowConstructorOptions, WebPreferences } from 'electron';

export function secureWebPreferences(preloadPath: string, isPackaged: boolean): WebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    experimentalFeatures: false,
    webviewTag: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
    spellcheck: false,
    devTools: !isPackaged,
    // enableBlinkFeatures deliberately absent.
  };
}

export function mainWindowOptions(preloadPath: string, isPackaged: boolean): BrowserWindowConstructorOptions {
  return {
    width: 1120,
    height: 780,
    minWidth: 820,
    minHeight: 600,
    show: false,
    title: 'CertificateManager',
    backgroundColor: '#ffffff',
    webPreferences: secureWebPreferences(preloadPath, isPackaged),
  };
}
