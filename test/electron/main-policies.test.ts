// The main process's decisions, tested as pure functions (none of these modules imports an
// Electron value, so they run under plain Node without the Electron binary).
import { mkdtemp, mkdir, symlink, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI_COMMANDS, CLI_FLAGS, isCliInvocation, unsafeSwitchIn, userArgsFrom } from '../../electron/main/cli-args.js';
import { dataDirForApp, dataDirFromArgs } from '../../electron/main/data-dir.js';
import { defaultDataDir } from '../../core/store/paths.js';
import { APP_CSP, APP_ENTRY_URL, createAppProtocolHandler, resolveRendererFile } from '../../electron/main/app-protocol.js';
import { isAllowedExternalUrl, isAllowedNavigation, isAllowedPermission } from '../../electron/main/navigation.js';
import { buildMenuTemplate } from '../../electron/main/menu-template.js';
import { openDialogOptions, safeFileName, saveDialogOptions } from '../../electron/main/dialogs.js';
import { NATIVE_STRINGS, nativeLanguage } from '../../electron/main/native-strings.js';
import { secureWebPreferences } from '../../electron/main/window-options.js';

describe('CLI or window (cli-args.ts)', () => {
  it('takes the user arguments after the exe (packaged) or after the app path (development)', () => {
    expect(userArgsFrom(['C:\\Program Files\\CertificateManager\\CertificateManager.exe', '-b', 'pw', 'a.zip'], false)).toEqual(['-b', 'pw', 'a.zip']);
    expect(userArgsFrom(['/usr/bin/electron', '.', '-c', 'pw'], true)).toEqual(['-c', 'pw']);
    // Playwright's _electron.launch puts its switches before the app path.
    expect(userArgsFrom(['/e/electron', '--inspect=0', '--remote-debugging-port=0', 'dist/electron/main.js', '--data-dir', '/tmp/d'], true)).toEqual(['--data-dir', '/tmp/d']);
    expect(userArgsFrom(['/e/electron'], true)).toEqual([]);
    expect(userArgsFrom(['/Applications/CertificateManager.app/Contents/MacOS/CertificateManager', '-psn_0_12345'], false)).toEqual([]);
    expect(userArgsFrom(['exe', '--no-sandbox', 'status', '--enable-logging=stderr'], false)).toEqual(['status']);
  });

  it.each([
    [['-b', 'trendmicro', 'C:\\user\\test\\Desktop\\a.zip']],
    [['-r', 'pw', 'a.zip']],
    [['-re', 'pw', 'a.zip']],
    [['-c', 'newpw']],
    [['-e', 'agent.cer']],
    [['-g', 'pw']],
    [['-l']],
    [['--help']],
    [['-h']],
    [['status']],
    [['verify-backup', 'a.zip']],
    [['serve', '--port', '8443']],
    [['agent', 'run']],
    [['--data-dir', 'D:\\cm', '-b', 'pw', 'a.zip']],
    [['--data-dir=/srv/cm', 'status']],
    [['status', '--json']],
    [['-B', 'pw', 'a.zip']],
    [['STATUS']],
    [['/?']],
  ])('%j is a CLI invocation', (args) => {
    expect(isCliInvocation(args)).toBe(true);
  });

  it.each([[[]], [['--data-dir', 'status']], [['--data-dir=/x']], [['C:\\Users\\a\\backup.zip']], [['--unknown']], [['-psn_0_1']]])(
    '%j opens the window',
    (args) => {
      expect(isCliInvocation(userArgsFrom(['exe', ...args], false))).toBe(false);
    },
  );

  it('knows every command and flag of the original tool', () => {
    for (const flag of ['-b', '-r', '-re', '-c', '-e', '-g', '-l', '--help']) expect(CLI_FLAGS.has(flag)).toBe(true);
    for (const command of ['status', 'verify-backup', 'serve', 'agent']) expect(CLI_COMMANDS.has(command)).toBe(true);
  });

  it('spots debugging switches', () => {
    expect(unsafeSwitchIn(['exe', '--remote-debugging-port=9222'])).toBe('--remote-debugging-port');
    expect(unsafeSwitchIn(['exe', '--inspect-brk'])).toBe('--inspect-brk');
    expect(unsafeSwitchIn(['exe', '--remote-debugging-pipe'])).toBe('--remote-debugging-pipe');
    expect(unsafeSwitchIn(['exe', '--inspector-x', '-b'])).toBeNull();
    // Switches that would run another program, or lower the sandbox, elevated.
    for (const arg of ['--gpu-launcher=cmd.exe /c x', '--renderer-cmd-prefix=calc', '--utility-cmd-prefix=x', '--browser-subprocess-path=C:\\x.exe', '--no-sandbox', '--js-flags=--allow-natives-syntax', '--disable-web-security', '--load-extension=C:\\ext', '--NO-SANDBOX'])
      expect(unsafeSwitchIn(['exe', arg]), arg).toBe(arg.split('=')[0]);
    expect(unsafeSwitchIn(['exe', '-b', 'pw', 'C:\\backups\\--no-sandbox.zip'])).toBeNull();
    // Chromium's other prefixes: "-" everywhere, "/" on Windows.
    for (const arg of ['-no-sandbox', '-gpu-launcher=calc.exe', '/renderer-cmd-prefix=x', '-remote-debugging-port=9222'])
      expect(unsafeSwitchIn(['exe', arg]), arg).toBe(arg.split('=')[0]);
    expect(unsafeSwitchIn(['exe', '-r', 'pw', 'backup.zip'])).toBeNull();
    expect(unsafeSwitchIn(['exe', '/?'])).toBeNull();
  });
});

describe('data directory (data-dir.ts)', () => {
  const facts = { platform: 'linux' as NodeJS.Platform, env: {}, isRoot: false, home: '/home/ann' };
  it('--data-dir beats the environment, which beats core’s per-OS default', () => {
    expect(dataDirForApp(['--data-dir', '/a'], { ...facts, env: { CERTIFICATEMANAGER_DATA_DIR: '/b' } })).toBe('/a');
    expect(dataDirForApp(['--data-dir=/c'], facts)).toBe('/c');
    expect(dataDirForApp(['--data-dir=rel'], facts)).toBe(path.resolve('rel'));
    expect(dataDirForApp([], { ...facts, env: { CERTIFICATEMANAGER_DATA_DIR: '/b' } })).toBe('/b');
    expect(dataDirForApp([], facts)).toBe(defaultDataDir(facts));
    expect(dataDirForApp([], { platform: 'win32', env: { ProgramData: 'C:\\ProgramData' } })).toBe('C:\\ProgramData\\CertificateManager');
  });
  it('reads --data-dir in both spellings, the last one winning', () => {
    expect(dataDirFromArgs(['--data-dir'])).toBeNull();
    expect(dataDirFromArgs(['--data-dir=', '--data-dir', '/z'])).toBe('/z');
    expect(dataDirFromArgs(['-b', 'pw', 'a.zip'])).toBeNull();
  });
});

describe('app:// protocol (app-protocol.ts)', () => {
  const root = path.resolve('/srv/renderer');
  it('maps paths under the renderer folder', () => {
    expect(resolveRendererFile(root, '/')).toBe(path.join(root, 'index.html'));
    expect(resolveRendererFile(root, '/index.html')).toBe(path.join(root, 'index.html'));
    expect(resolveRendererFile(root, '/assets/index-abc.js')).toBe(path.join(root, 'assets', 'index-abc.js'));
    expect(resolveRendererFile(root, '/assets/a%20b.css')).toBe(path.join(root, 'assets', 'a b.css'));
  });
  it.each([
    '/../secret',
    '/assets/../../etc/passwd',
    '/%2e%2e/etc/passwd',
    '/%2E%2E%2Fetc%2Fpasswd',
    '/assets/%2e%2e%2f%2e%2e%2fetc/passwd',
    '/..%5c..%5cwindows/win.ini',
    '/assets\\..\\..\\x',
    '/C:/Windows/win.ini',
    '/c:%5cwindows',
    '/index.html%00.png',
    '/.env',
    '/assets/.git/config',
    '/%',
    'relative/path',
  ])('refuses %s', (p) => {
    expect(resolveRendererFile(root, p)).toBeNull();
  });

  it('serves files with the CSP and refuses everything else, symlinks out of the folder included', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cm-proto-'));
    const renderer = path.join(dir, 'renderer');
    await mkdir(path.join(renderer, 'assets'), { recursive: true });
    await writeFile(path.join(renderer, 'index.html'), '<!doctype html><title>x</title>');
    await writeFile(path.join(renderer, 'assets', 'app.js'), 'console.log(1)');
    await writeFile(path.join(dir, 'secret.txt'), 'secret');
    await symlink(path.join(dir, 'secret.txt'), path.join(renderer, 'assets', 'leak.txt'));
    const handler = createAppProtocolHandler({ rootDir: renderer, log: () => {} });
    const get = (url: string, method = 'GET') => handler(new Request(url, { method }));

    const index = await get(APP_ENTRY_URL);
    expect(index.status).toBe(200);
    expect(index.headers.get('content-type')).toContain('text/html');
    expect(index.headers.get('content-security-policy')).toBe(APP_CSP);
    expect(index.headers.get('x-content-type-options')).toBe('nosniff');
    expect((await get('app://certificatemanager/assets/app.js')).headers.get('content-type')).toContain('text/javascript');

    expect((await get('app://certificatemanager/assets/leak.txt')).status).toBe(404);
    expect((await get('app://certificatemanager/%2e%2e/secret.txt')).status).toBe(404);
    expect((await get('app://certificatemanager/missing.js')).status).toBe(404);
    expect((await get('app://other-host/index.html')).status).toBe(404);
    expect((await get(APP_ENTRY_URL, 'POST')).status).toBe(405);
    const refused = await get('app://certificatemanager/nope.exe');
    expect(refused.status).toBe(404);
    expect(refused.headers.get('content-security-policy')).toBe(APP_CSP);
  });

  it('has the strict CSP of the brief', () => {
    expect(APP_CSP).toBe(
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
  });
});

describe('navigation and external links (navigation.ts)', () => {
  it('allows in-app navigation only', () => {
    expect(isAllowedNavigation('app://certificatemanager/index.html#/backup')).toBe(true);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'app://certificatemanager.evil/', 'javascript:alert(1)', 'about:blank', 'garbage']) {
      expect(isAllowedNavigation(url)).toBe(false);
    }
  });
  it('opens no external link by default, and only exact https origins from an allow-list', () => {
    expect(isAllowedExternalUrl('https://docs.example.com/x')).toBe(false);
    const list = ['https://docs.example.com'];
    expect(isAllowedExternalUrl('https://docs.example.com/guide', list)).toBe(true);
    expect(isAllowedExternalUrl('https://docs.example.com.attacker.com/', list)).toBe(false);
    expect(isAllowedExternalUrl('http://docs.example.com/', list)).toBe(false);
    expect(isAllowedExternalUrl('https://user:pw@docs.example.com/', list)).toBe(false);
    expect(isAllowedExternalUrl('file:///C:/Windows/System32/calc.exe', list)).toBe(false);
    expect(isAllowedExternalUrl('ms-msdt:/id PCWDiagnostic', list)).toBe(false);
  });
});

describe('window, menu and dialogs', () => {
  it('the window’s webPreferences lock everything down', () => {
    const prefs = secureWebPreferences('/app/preload.cjs', true);
    expect(prefs).toMatchObject({
      preload: '/app/preload.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      experimentalFeatures: false,
      webviewTag: false,
      devTools: false,
    });
    expect(prefs).not.toHaveProperty('enableBlinkFeatures');
    expect(secureWebPreferences('/p', false).devTools).toBe(true);
  });

  it('the packaged menu has no developer tools or reload', () => {
    const flat = (items: unknown): string[] =>
      (items as Array<{ role?: string; submenu?: unknown }>).flatMap((i) => [i.role ?? '', ...(Array.isArray(i.submenu) ? flat(i.submenu) : [])]);
    for (const platform of ['win32', 'darwin', 'linux'] as const) {
      const roles = flat(buildMenuTemplate({ platform, isPackaged: true, appName: 'CertificateManager' }));
      expect(roles).toContain('quit');
      expect(roles).toContain('paste');
      expect(roles).not.toContain('toggleDevTools');
      expect(roles).not.toContain('reload');
    }
    expect(flat(buildMenuTemplate({ platform: 'linux', isPackaged: false, appName: 'x' }))).toContain('toggleDevTools');
  });

  it('save dialogs default into Documents with a plain file name', () => {
    expect(safeFileName('../../etc/passwd', 'f.zip')).toBe('passwd');
    expect(safeFileName('C:\\Windows\\evil.zip', 'f.zip')).toBe('evil.zip');
    expect(safeFileName('..', 'f.zip')).toBe('f.zip');
    expect(safeFileName('a<b>:c?.zip', 'f.zip')).toBe('abc.zip');
    expect(safeFileName(undefined, 'f.zip')).toBe('f.zip');
    const opts = saveDialogOptions('backup', '../x.zip', '/home/a/Documents');
    expect(opts.defaultPath).toBe(path.join('/home/a/Documents', 'x.zip'));
    expect(opts.filters[0]?.extensions).toEqual(['zip']);
  });

  it('native dialogs and the menu speak the window\'s language', () => {
    expect(Object.keys(NATIVE_STRINGS.ja).sort()).toEqual(Object.keys(NATIVE_STRINGS.en).sort());
    expect(nativeLanguage('auto', 'ja-JP')).toBe('ja');
    expect(nativeLanguage('en', 'ja-JP')).toBe('en');
    expect(nativeLanguage('ja', 'en-US')).toBe('ja');
    expect(nativeLanguage(undefined, 'ja')).toBe('ja');
    expect(nativeLanguage('auto', 'jam')).toBe('en');
    expect(saveDialogOptions('backup', undefined, '/d', 'ja').title).toBe('証明書のバックアップを保存');
    expect(saveDialogOptions('clients-csv', undefined, '/d', 'ja').title).toContain('有効な証明書を持たないクライアント');
    expect(openDialogOptions('backup', 'ja').filters.map((f) => f.name)).toEqual(['証明書のバックアップ (zip、pfx、p12)', 'すべてのファイル']);
    const labels = buildMenuTemplate({ platform: 'win32', isPackaged: true, appName: 'x', language: 'ja' }).map((m) => m.label);
    expect(labels).toContain('編集(&E)');
    // Everything English in the tables is a translation of a Japanese string, not left over.
    for (const [key, value] of Object.entries(NATIVE_STRINGS.ja)) expect(value, key).not.toBe(NATIVE_STRINGS.en[key as keyof typeof NATIVE_STRINGS.en]);
  });
});

describe('permissions', () => {
  it('grants only sanitized clipboard writes, and only to the app\'s own pages', () => {
    expect(isAllowedPermission('clipboard-sanitized-write', 'app://certificatemanager/index.html')).toBe(true);
    expect(isAllowedPermission('clipboard-sanitized-write', 'app://certificatemanager')).toBe(true);
    for (const permission of ['clipboard-read', 'media', 'notifications', 'geolocation', 'openExternal', 'fileSystem', 'hid', 'serial', 'usb'])
      expect(isAllowedPermission(permission, 'app://certificatemanager/index.html'), permission).toBe(false);
    for (const url of ['https://certificatemanager/', 'app://evil/', 'app://user:pw@certificatemanager/', 'file:///C:/x.html', undefined, ''])
      expect(isAllowedPermission('clipboard-sanitized-write', url), String(url)).toBe(false);
  });
});
