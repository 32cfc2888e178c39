/**
 * The desktop app: single instance, one window, the app:// protocol, the IPC contract, lifecycle.
 * No business logic: everything the window can do is a handler from core/api/service.ts.
 */
import { BrowserWindow, Menu, app, dialog, ipcMain, protocol, session } from 'electron';
import { createApiHandlers, startFleetEvents } from '../../core/api/service.js';
import { readSettings } from '../../core/store/settings.js';
import { APP_ENTRY_URL, APP_SCHEME, createAppProtocolHandler } from './app-protocol.js';
import { createEventSender, createTrustedSenderCheck, registerContract } from './ipc-registration.js';
import { hardenSession, hardenWebContents } from './hardening.js';
import { buildMenuTemplate } from './menu-template.js';
import { openDialogOptions, saveDialogOptions } from './dialogs.js';
import { NATIVE_STRINGS, nativeLanguage } from './native-strings.js';
import { isSameDataDir, requestedDataDir, secondInstanceData } from './second-instance.js';
import { mainWindowOptions } from './window-options.js';
import { dataDirForApp } from './data-dir.js';

interface StartAppOptions {
  /** The user's arguments (cli-args.ts userArgsFrom). */
  args: string[];
  /** Absolute path of dist/electron/preload.cjs. */
  preloadPath: string;
  /** Absolute path of dist/renderer. */
  rendererDir: string;
}

const log = (message: string) => console.warn(message);

/**
 * Must be called synchronously while main.js is evaluated (before `ready`): privileged schemes
 * and the sandbox switch only take effect then.
 */
export function startApp(options: StartAppOptions): void {
  const isPackaged = app.isPackaged;

  // Item 19's runtime twin (refusing Chromium's unsafe switches) runs in main.ts, before the
  // CLI/window branch: cli-args.ts decideLaunch.

  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } },
  ]);
  app.enableSandbox();

  const dataDir = dataDirForApp(options.args);
  // The store this launch asked for goes to the running instance (second-instance.ts).
  if (!app.requestSingleInstanceLock(secondInstanceData(dataDir))) {
    app.quit();
    return;
  }

  let win: BrowserWindow | null = null;
  const liveWindow = () => (win && !win.isDestroyed() ? win : null);
  const emit = createEventSender(() => liveWindow()?.webContents ?? null, log);

  app.on('second-instance', (_event, _argv, _workingDirectory, additionalData) => {
    const w = liveWindow();
    if (!w) return;
    if (w.isMinimized()) w.restore();
    w.focus();
    const requested = requestedDataDir(additionalData);
    if (requested === null || isSameDataDir(requested, dataDir, process.platform)) return;
    log('[app] a second launch asked for another certificate store; this window keeps its own');
    void (async () => {
      const text = NATIVE_STRINGS[nativeLanguage((await readSettings(dataDir).catch(() => null))?.language, app.getLocale())];
      await dialog.showMessageBox(w, {
        type: 'info',
        title: text.otherStoreTitle,
        message: text.otherStoreMessage,
        detail: text.otherStoreDetail.replaceAll('{current}', dataDir).replaceAll('{requested}', requested),
        buttons: ['OK'],
      });
    })();
  });
  app.on('web-contents-created', (_event, contents) => hardenWebContents(contents, log));
  app.on('window-all-closed', () => {
    if (process.platform !== 'darwin') app.quit();
  });

  const createWindow = () => {
    const w = new BrowserWindow(mainWindowOptions(options.preloadPath, isPackaged));
    w.once('ready-to-show', () => w.show());
    w.on('closed', () => {
      if (win === w) win = null;
    });
    w.webContents.on('render-process-gone', (_event, details) => log(`[app] the window's renderer is gone: ${details.reason}`));
    // A page that cannot load never becomes ready-to-show: show the window anyway, so the admin
    // is not left with an invisible app.
    w.webContents.on('did-fail-load', (_event, code, description, _url, isMainFrame) => {
      if (!isMainFrame) return;
      log(`[app] the window failed to load: ${code} ${description}`);
      if (!w.isDestroyed() && !w.isVisible()) w.show();
    });
    void w.loadURL(APP_ENTRY_URL);
    return w;
  };

  void app.whenReady().then(() => {
    hardenSession(session.defaultSession, log);
    protocol.handle(APP_SCHEME, createAppProtocolHandler({ rootDir: options.rendererDir, log }));
    // The menu follows the OS locale, like its role items (Copy, Paste...), which the OS translates.
    const menuLanguage = nativeLanguage(null, app.getLocale());
    Menu.setApplicationMenu(Menu.buildFromTemplate(buildMenuTemplate({ platform: process.platform, isPackaged, appName: app.name, language: menuLanguage })));
    // Dialogs follow the window's language setting, read each time (the window can change it).
    const language = async () => nativeLanguage((await readSettings(dataDir).catch(() => null))?.language, app.getLocale());

    const handlers = createApiHandlers({
      dataDir,
      emit,
      appInfo: { version: app.getVersion(), locale: app.getLocale(), platform: process.platform },
      dialogs: {
        async showOpen(purpose) {
          const w = liveWindow();
          const opts = openDialogOptions(purpose, await language());
          const result = w ? await dialog.showOpenDialog(w, opts) : await dialog.showOpenDialog(opts);
          return result.canceled ? null : (result.filePaths[0] ?? null);
        },
        async showSave(purpose, defaultName) {
          const w = liveWindow();
          const opts = saveDialogOptions(purpose, defaultName, app.getPath('documents'), await language());
          const result = w ? await dialog.showSaveDialog(w, opts) : await dialog.showSaveDialog(opts);
          return result.canceled || !result.filePath ? null : result.filePath;
        },
      },
    });
    const fleetEvents = startFleetEvents({ dataDir, emit });
    app.on('will-quit', () => fleetEvents.close());
    registerContract(ipcMain, handlers, {
      isTrustedSender: createTrustedSenderCheck(() => liveWindow()?.webContents.mainFrame ?? null, log),
      validateResponses: !isPackaged,
      log,
    });

    win = createWindow();
    app.on('activate', () => {
      if (!liveWindow()) win = createWindow();
    });
  });
}
