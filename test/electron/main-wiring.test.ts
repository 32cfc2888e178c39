// The main process's wiring, run against a stand-in `electron` module (the Electron binary is
// not installable here; app.e2e.test.ts covers the real thing where it is). Checks what startApp
// and the entry point actually do with Electron's API: order before `ready`, the protocol, the
// session locks, the window's options, the IPC registration with its sender check, the
// web-contents hardening, events, dialogs, and the CLI path.
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OPERATION_KEYS, channelOf, eventChannelOf, type Result } from '../../core/api/contract.js';
import { APP_CSP, APP_ENTRY_URL } from '../../electron/main/app-protocol.js';

type Fn = (...args: never[]) => unknown;

const fake = vi.hoisted(() => {
  const state = {
    calls: [] as string[],
    appListeners: new Map<string, Array<(...a: unknown[]) => unknown>>(),
    ipcHandlers: new Map<string, (...a: unknown[]) => unknown>(),
    protocolHandlers: new Map<string, (r: Request) => Promise<Response>>(),
    windows: [] as Array<Record<string, unknown> & { options: Record<string, unknown>; webContents: Record<string, unknown> & { sent: unknown[][]; mainFrame: object } }>,
    session: {} as Record<string, unknown>,
    isPackaged: false,
    singleInstance: true,
    readyResolve: undefined as undefined | (() => void),
    exitCode: undefined as number | undefined,
    dialogAnswer: { canceled: false, filePath: '/chosen/backup.zip', filePaths: ['/chosen/in.zip'] },
    dialogCalls: [] as unknown[][],
    lockData: undefined as unknown,
  };
  const record = (name: string) => state.calls.push(name);
  let ready: Promise<void>;
  const reset = () => {
    state.calls = [];
    state.appListeners = new Map();
    state.ipcHandlers = new Map();
    state.protocolHandlers = new Map();
    state.windows = [];
    state.isPackaged = false;
    state.singleInstance = true;
    state.exitCode = undefined;
    state.dialogCalls = [];
    ready = new Promise<void>((resolve) => (state.readyResolve = resolve));
    const sessionListeners = new Map<string, unknown>();
    state.session = {
      listeners: sessionListeners,
      setPermissionRequestHandler: (h: unknown) => ((state.session.permissionRequest = h), record('session.setPermissionRequestHandler')),
      setPermissionCheckHandler: (h: unknown) => ((state.session.permissionCheck = h), record('session.setPermissionCheckHandler')),
      setDevicePermissionHandler: (h: unknown) => ((state.session.devicePermission = h), record('session.setDevicePermissionHandler')),
      setSpellCheckerEnabled: (v: boolean) => record(`session.setSpellCheckerEnabled(${v})`),
      on: (event: string, h: unknown) => sessionListeners.set(event, h),
      webRequest: { onBeforeRequest: (filter: unknown, h: unknown) => ((state.session.beforeRequest = { filter, h }), record('session.webRequest.onBeforeRequest')) },
    };
  };
  reset();
  const app = {
    get isPackaged() {
      return state.isPackaged;
    },
    name: 'CertificateManager',
    dock: { hide: () => record('app.dock.hide') },
    enableSandbox: () => record('app.enableSandbox'),
    requestSingleInstanceLock: (additionalData?: unknown) => ((state.lockData = additionalData), record('app.requestSingleInstanceLock'), state.singleInstance),
    quit: () => record('app.quit'),
    exit: (code: number) => ((state.exitCode = code), record(`app.exit(${code})`)),
    on: (event: string, listener: (...a: unknown[]) => unknown) => {
      const list = state.appListeners.get(event) ?? [];
      list.push(listener);
      state.appListeners.set(event, list);
      return app;
    },
    whenReady: () => (record('app.whenReady'), ready),
    getVersion: () => '9.9.9',
    getLocale: () => 'ja',
    getPath: (name: string) => `/home/admin/${name}`,
  };
  class BrowserWindow {
    options: Record<string, unknown>;
    webContents: Record<string, unknown> & { sent: unknown[][]; mainFrame: object };
    destroyed = false;
    constructor(options: Record<string, unknown>) {
      record('new BrowserWindow');
      this.options = options;
      const sent: unknown[][] = [];
      this.webContents = {
        sent,
        mainFrame: { url: APP_ENTRY_URL_PLACEHOLDER, parent: null },
        send: (...args: unknown[]) => sent.push(args),
        isDestroyed: () => this.destroyed,
        on: () => undefined,
      };
      state.windows.push(this as never);
    }
    once() {}
    on() {}
    loadURL(url: string) {
      record(`loadURL(${url})`);
      return Promise.resolve();
    }
    isDestroyed() {
      return this.destroyed;
    }
    isMinimized() {
      return false;
    }
    isVisible() {
      return false;
    }
    restore() {}
    focus() {
      record('window.focus');
    }
    show() {}
  }
  const APP_ENTRY_URL_PLACEHOLDER = 'app://certificatemanager/index.html';
  const electron = {
    app,
    BrowserWindow,
    Menu: { buildFromTemplate: (t: unknown) => t, setApplicationMenu: (m: unknown) => ((state.session.menu = m), record('Menu.setApplicationMenu')) },
    ipcMain: {
      handle: (channel: string, listener: (...a: unknown[]) => unknown) => state.ipcHandlers.set(channel, listener),
      removeHandler: (channel: string) => state.ipcHandlers.delete(channel),
    },
    protocol: {
      registerSchemesAsPrivileged: (schemes: unknown) => ((state.session.schemes = schemes), record('protocol.registerSchemesAsPrivileged')),
      handle: (scheme: string, handler: (r: Request) => Promise<Response>) => (state.protocolHandlers.set(scheme, handler), record(`protocol.handle(${scheme})`)),
    },
    session: {
      get defaultSession() {
        return state.session;
      },
    },
    dialog: {
      showOpenDialog: async (...args: unknown[]) => (state.dialogCalls.push(['open', ...args]), state.dialogAnswer),
      showSaveDialog: async (...args: unknown[]) => (state.dialogCalls.push(['save', ...args]), state.dialogAnswer),
      showMessageBox: async (...args: unknown[]) => (state.dialogCalls.push(['message', ...args]), { response: 0 }),
    },
    shell: { openExternal: async (url: string) => record(`shell.openExternal(${url})`) },
  };
  return { state, reset, electron };
});

vi.mock('electron', () => fake.electron);

const { state } = fake;
let work: string;
let rendererDir: string;

beforeEach(async () => {
  fake.reset();
  vi.resetModules();
  work = await mkdtemp(path.join(os.tmpdir(), 'cm-wiring-'));
  rendererDir = path.join(work, 'renderer');
  await mkdir(rendererDir);
  await writeFile(path.join(rendererDir, 'index.html'), '<!doctype html><title>app</title>');
});

/**
 * vi.waitFor gives up after 1 s by default; what these wait for includes first imports of the
 * app's modules and real file work, which on a busy CI machine can take longer. A generous
 * ceiling on the same conditions (nothing is timed).
 */
const UNTIL = { timeout: 30_000 };

async function start(args: string[] = ['--data-dir', path.join(work, 'store')]) {
  const { startApp } = await import('../../electron/main/app.js');
  startApp({ args, preloadPath: '/app/dist/electron/preload.cjs', rendererDir });
}

async function ready() {
  state.readyResolve!();
  await vi.waitFor(() => expect(state.windows).toHaveLength(1), UNTIL);
}

function invoke(channel: string, senderFrame: unknown, ...args: unknown[]) {
  const handler = state.ipcHandlers.get(channel);
  if (!handler) throw new Error(`no handler for ${channel}`);
  return handler({ senderFrame }, ...args) as Promise<Result<unknown>>;
}

describe('startApp', () => {
  it('does the before-ready work synchronously: privileged scheme, sandbox, single instance', async () => {
    await start();
    expect(state.calls.slice(0, 4)).toEqual(['protocol.registerSchemesAsPrivileged', 'app.enableSandbox', 'app.requestSingleInstanceLock', 'app.whenReady']);
    expect(state.session.schemes).toEqual([{ scheme: 'app', privileges: { standard: true, secure: true, supportFetchAPI: true, codeCache: true } }]);
    expect(state.windows).toHaveLength(0);
  });

  it('on ready: locks the session, serves app:// with the CSP, registers the contract, then opens the window', async () => {
    await start();
    await ready();
    const order = state.calls.filter((c) => c.startsWith('session.') || c.startsWith('protocol.handle') || c === 'new BrowserWindow');
    expect(order.at(-1)).toBe('new BrowserWindow');
    expect(order).toContain('protocol.handle(app)');
    expect(state.calls).toContain(`loadURL(${APP_ENTRY_URL})`);

    const response = await state.protocolHandlers.get('app')!(new Request(APP_ENTRY_URL));
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toBe(APP_CSP);

    const granted: boolean[] = [];
    (state.session.permissionRequest as (wc: unknown, p: string, cb: (g: boolean) => void) => void)({}, 'media', (g) => granted.push(g));
    (state.session.permissionRequest as (wc: unknown, p: string, cb: (g: boolean) => void) => void)({}, 'notifications', (g) => granted.push(g));
    expect(granted).toEqual([false, false]);
    expect((state.session.permissionCheck as Fn)()).toBe(false);
    // The one exception: the app's own page may write text to the clipboard (the Copy button).
    const request = state.session.permissionRequest as (wc: unknown, p: string, cb: (g: boolean) => void, d?: { requestingUrl?: string }) => void;
    request({}, 'clipboard-sanitized-write', (g) => granted.push(g), { requestingUrl: 'app://certificatemanager/index.html' });
    request({}, 'clipboard-sanitized-write', (g) => granted.push(g), { requestingUrl: 'https://example.com/' });
    expect(granted.slice(-2)).toEqual([true, false]);
    expect((state.session.permissionCheck as (wc: unknown, p: string, o: string) => boolean)({}, 'clipboard-sanitized-write', 'app://certificatemanager')).toBe(true);
    expect((state.session.devicePermission as Fn)()).toBe(false);
    const blocked = state.session.beforeRequest as { filter: { urls: string[] }; h: (d: unknown, cb: (r: unknown) => void) => void };
    expect(blocked.filter.urls).toEqual(expect.arrayContaining(['https://*/*', 'http://*/*', 'file://*/*']));
    const answers: unknown[] = [];
    blocked.h({ url: 'https://evil.example/x', resourceType: 'xhr' }, (r) => answers.push(r));
    expect(answers).toEqual([{ cancel: true }]);

    const win = state.windows[0]!;
    expect(win.options.show).toBe(false);
    expect(win.options.webPreferences).toMatchObject({
      preload: '/app/dist/electron/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      devTools: true,
    });
    expect([...state.ipcHandlers.keys()].sort()).toEqual(OPERATION_KEYS.map(channelOf).sort());
  });

  it('answers the window’s main frame and refuses anyone else', async () => {
    await start();
    await ready();
    const mainFrame = state.windows[0]!.webContents.mainFrame;
    await expect(invoke(channelOf('appInfo'), mainFrame, {})).resolves.toEqual({
      ok: true,
      value: { version: '9.9.9', locale: 'ja', platform: process.platform, dataDir: path.join(work, 'store') },
    });
    await expect(invoke(channelOf('appInfo'), { url: APP_ENTRY_URL, parent: mainFrame }, {})).resolves.toMatchObject({ ok: false, error: { code: 'SENDER_REFUSED' } });
    await expect(invoke(channelOf('appInfo'), null, {})).resolves.toMatchObject({ ok: false, error: { code: 'SENDER_REFUSED' } });
  });

  it('pushes the core’s events to the window, validated, on the contract’s channels', async () => {
    await start();
    await ready();
    const win = state.windows[0]!;
    const result = await invoke(channelOf('generate'), win.webContents.mainFrame, { password: 'Correct-Horse-Battery-Staple-42', keySize: 2048 });
    expect(result).toMatchObject({ ok: true });
    const channels = new Set(win.webContents.sent.map((s) => s[0]));
    expect(channels).toContain(eventChannelOf('progress'));
    expect(channels).toContain(eventChannelOf('statusChanged'));
  });

  it('runs native dialogs against the window, with safe options', async () => {
    await start();
    await ready();
    const win = state.windows[0]!;
    await expect(invoke(channelOf('showSaveDialog'), win.webContents.mainFrame, { purpose: 'backup', defaultName: '../../etc/x.zip' })).resolves.toEqual({
      ok: true,
      value: { path: '/chosen/backup.zip' },
    });
    const [kind, parent, options] = state.dialogCalls[0] as [string, unknown, { defaultPath: string }];
    expect(kind).toBe('save');
    expect(parent).toBe(win);
    expect(options.defaultPath).toBe(path.join('/home/admin/documents', 'x.zip'));
    await expect(invoke(channelOf('showOpenDialog'), win.webContents.mainFrame, { purpose: 'backup' })).resolves.toEqual({ ok: true, value: { path: '/chosen/in.zip' } });
    state.dialogAnswer = { canceled: true, filePath: '', filePaths: [] };
    await expect(invoke(channelOf('showOpenDialog'), win.webContents.mainFrame, { purpose: 'backup' })).resolves.toEqual({ ok: true, value: { path: null } });
  });

  it('hardens every webContents: navigation, redirects, new windows, webviews', async () => {
    await start();
    const created = state.appListeners.get('web-contents-created')![0]!;
    const listeners = new Map<string, (e: unknown) => void>();
    let openHandler: ((d: { url: string }) => unknown) | undefined;
    created({}, { on: (event: string, l: (e: unknown) => void) => listeners.set(event, l), setWindowOpenHandler: (h: typeof openHandler) => (openHandler = h) });
    const navigate = (event: string, url: string) => {
      const e = { url, prevented: false, preventDefault() {
        this.prevented = true;
      } };
      listeners.get(event)!(e);
      return e.prevented;
    };
    expect(navigate('will-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate('will-navigate', 'file:///etc/passwd')).toBe(true);
    expect(navigate('will-navigate', 'app://certificatemanager/index.html')).toBe(false);
    expect(navigate('will-frame-navigate', 'https://evil.example/')).toBe(true);
    expect(navigate('will-redirect', 'https://evil.example/')).toBe(true);
    expect(navigate('will-attach-webview', 'app://certificatemanager/')).toBe(true);
    expect(openHandler!({ url: 'https://evil.example/' })).toEqual({ action: 'deny' });
    expect(state.calls.some((c) => c.startsWith('shell.openExternal'))).toBe(false);
  });

  it('focuses the window when a second instance starts', async () => {
    await start();
    await ready();
    state.appListeners.get('second-instance')![0]!();
    expect(state.calls).toContain('window.focus');
  });

  it('a second launch passes its store; the window says plainly when it is another one, in the app’s language', async () => {
    const store = path.join(work, 'store');
    await start(['--data-dir', store]);
    await ready();
    expect(state.lockData).toEqual({ dataDir: path.resolve(store) });
    const secondInstance = state.appListeners.get('second-instance')![0]!;
    // Same store (another spelling of it), and data that is not ours: focus only.
    secondInstance({}, [], '/', { dataDir: `${store}${path.sep}` });
    secondInstance({}, [], '/', { dataDir: 42 });
    secondInstance({}, [], '/', null);
    await new Promise((r) => setTimeout(r, 20));
    expect(state.dialogCalls.filter((c) => c[0] === 'message')).toHaveLength(0);
    secondInstance({}, [], '/', { dataDir: '/srv/other-store' });
    await vi.waitFor(() => expect(state.dialogCalls.filter((c) => c[0] === 'message')).toHaveLength(1), UNTIL);
    const [, , options] = state.dialogCalls.find((c) => c[0] === 'message')! as [string, unknown, { message: string; detail: string }];
    expect(options.message).toBe('このウィンドウは別の証明書ストアを使用しています。'); // getLocale() is 'ja' here
    expect(options.detail).toContain(path.resolve(store));
    expect(options.detail).toContain('--data-dir "/srv/other-store"');
    expect(state.calls).toContain('window.focus');
  });

  it('quits at once when another instance holds the lock', async () => {
    state.singleInstance = false;
    await start();
    expect(state.calls).toContain('app.quit');
    expect(state.calls).not.toContain('app.whenReady');
  });

  it('the packaged app has no DevTools', async () => {
    state.isPackaged = true;
    await start();
    await ready();
    expect(state.windows[0]!.options.webPreferences).toMatchObject({ devTools: false });
  });
});

describe('entry point (electron/main.ts)', () => {
  let argv: string[];
  beforeEach(() => {
    argv = process.argv;
  });
  afterEach(() => {
    process.argv = argv;
    vi.doUnmock('../../electron/main/app.js');
    vi.doUnmock('../../electron/main/cli-runner.js');
  });

  async function runEntry(args: string[], { packaged = false } = {}) {
    const startApp = vi.fn();
    const runCliMode = vi.fn(async () => 3);
    const appModuleLoaded = vi.fn();
    vi.doMock('../../electron/main/app.js', () => (appModuleLoaded(), { startApp }));
    vi.doMock('../../electron/main/cli-runner.js', () => ({ runCliMode }));
    state.isPackaged = packaged;
    // Packaged: [exe, ...user]; development: [electron, appPath, ...user].
    process.argv = packaged ? ['C:\\Program Files\\CertificateManager\\CertificateManager.exe', ...args] : ['/usr/bin/electron', '/app/dist/electron/main.js', ...args];
    const defaultApp = Object.getOwnPropertyDescriptor(process, 'defaultApp');
    Object.defineProperty(process, 'defaultApp', { value: !packaged, configurable: true });
    try {
      await import('../../electron/main.js');
    } finally {
      if (defaultApp) Object.defineProperty(process, 'defaultApp', defaultApp);
      else delete (process as { defaultApp?: boolean }).defaultApp;
    }
    return { startApp, runCliMode, appModuleLoaded };
  }

  it('opens the window without CLI arguments', async () => {
    const { startApp, runCliMode } = await runEntry(['--data-dir', '/srv/cm']);
    expect(runCliMode).not.toHaveBeenCalled();
    expect(startApp).toHaveBeenCalledTimes(1);
    const options = startApp.mock.calls[0]![0] as { args: string[]; preloadPath: string; rendererDir: string };
    expect(options.args).toEqual(['--data-dir', '/srv/cm']);
    expect(path.basename(options.preloadPath)).toBe('preload.cjs');
    expect(path.dirname(options.preloadPath)).toBe(path.resolve('electron'));
    expect(options.rendererDir).toBe(path.resolve('renderer'));
  });

  it('runs the CLI, creates no window, and exits with its code', async () => {
    const { startApp, runCliMode, appModuleLoaded } = await runEntry(['-b', 'pw', 'C:\\backup.zip']);
    expect(startApp).not.toHaveBeenCalled();
    // The window code (and the contract's service it imports) is not even loaded for a command.
    expect(appModuleLoaded).not.toHaveBeenCalled();
    expect(runCliMode).toHaveBeenCalledWith(['-b', 'pw', 'C:\\backup.zip'], expect.objectContaining({ stdout: process.stdout, stderr: process.stderr }));
    await vi.waitFor(() => expect(state.exitCode).toBe(3), UNTIL);
    expect(state.windows).toHaveLength(0);
  });
});

describe('entry point: unsafe switches are refused before the CLI/window branch', () => {
  let argv: string[];
  let errors: ReturnType<typeof vi.spyOn>;
  beforeEach(() => {
    argv = process.argv;
    errors = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  });
  afterEach(() => {
    process.argv = argv;
    errors.mockRestore();
    vi.doUnmock('../../electron/main/app.js');
    vi.doUnmock('../../electron/main/cli-runner.js');
  });

  async function runPackaged(args: string[], packaged = true) {
    const startApp = vi.fn();
    const runCliMode = vi.fn(async () => 0);
    vi.doMock('../../electron/main/app.js', () => ({ startApp }));
    vi.doMock('../../electron/main/cli-runner.js', () => ({ runCliMode }));
    state.isPackaged = packaged;
    process.argv = ['C:\\Program Files\\CertificateManager\\CertificateManager.exe', ...args];
    const defaultApp = Object.getOwnPropertyDescriptor(process, 'defaultApp');
    Object.defineProperty(process, 'defaultApp', { value: false, configurable: true });
    try {
      await import('../../electron/main.js');
    } finally {
      if (defaultApp) Object.defineProperty(process, 'defaultApp', defaultApp);
      else delete (process as { defaultApp?: boolean }).defaultApp;
    }
    return { startApp, runCliMode };
  }

  it.each([
    ['the CLI branch', ['serve', '--remote-debugging-port=9222']],
    ['the CLI branch through the launcher', ['--', 'agent', 'run', '--gpu-launcher=cmd.exe']],
    ['the CLI branch (utility prefix)', ['-b', 'pw', 'a.zip', '--utility-cmd-prefix=calc']],
    ['the window branch', ['--remote-debugging-port=9222']],
  ])('%s: exits 1 with one line, runs neither the CLI nor the window', async (_name, args) => {
    const { startApp, runCliMode } = await runPackaged(args);
    expect(state.exitCode).toBe(1);
    expect(runCliMode).not.toHaveBeenCalled();
    expect(startApp).not.toHaveBeenCalled();
    expect(errors).toHaveBeenCalledTimes(1);
    expect(String(errors.mock.calls[0]![0])).toMatch(/^CertificateManager does not run with --[a-z-]+: remove it/);
  });

  it('the development build keeps the switches (Playwright uses them)', async () => {
    const { runCliMode } = await runPackaged(['serve', '--remote-debugging-port=9222'], false);
    await vi.waitFor(() => expect(state.exitCode).toBe(0), UNTIL);
    expect(runCliMode).toHaveBeenCalledWith(['serve'], expect.anything());
  });

  it('drops the launcher’s "--" and passes the user’s arguments on unchanged', async () => {
    const { runCliMode } = await runPackaged(['--', 'agent', 'run', '--server', 'https://host:8443', '--state', 'C:\\agent']);
    expect(runCliMode).toHaveBeenCalledWith(['agent', 'run', '--server', 'https://host:8443', '--state', 'C:\\agent'], expect.anything());
  });
});

describe('runCliMode', () => {
  it('runs core’s runCli with the given streams and returns its exit code', async () => {
    const { runCliMode } = await import('../../electron/main/cli-runner.js');
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    let out = '';
    stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await runCliMode(['status', '--json', '--data-dir', path.join(work, 'cli-store')], { stdin: new PassThrough(), stdout, stderr, env: {} });
    expect(code).toBe(0);
    expect(JSON.parse(out)).toMatchObject({ hasCertificate: false });
    const usage = await runCliMode(['-b'], { stdin: new PassThrough(), stdout, stderr, env: {} });
    expect(usage).toBe(2);
  });
});
