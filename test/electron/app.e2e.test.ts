// The real app under Playwright's _electron, wherever an Electron binary exists. Where it does
// not (npm ci with ELECTRON_SKIP_BINARY_DOWNLOAD, as on this project's machines and CI), the
// suite is skipped with the reason printed; the same renderer ↔ contract path is covered in
// Chromium over the test bridge (test/bridge/chromium.test.ts).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { _electron, type ElectronApplication, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_KEYS, type CertificateManagerApi } from '../../core/api/contract.js';

// Browser globals used inside page.evaluate (this project's TypeScript has no DOM lib).
interface PageWindow {
  certificateManager: CertificateManagerApi;
  require?: unknown;
  process?: unknown;
  ipcRenderer?: unknown;
  __inline?: boolean;
  open(url: string): unknown;
}
declare const window: PageWindow;
declare const document: { createElement(tag: 'script'): { textContent: string }; head: { appendChild(node: unknown): void } };
declare const location: { href: string };

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const MAIN = path.join(repoRoot, 'dist', 'electron', 'main.js');
const PRELOAD = path.join(repoRoot, 'dist', 'electron', 'preload.cjs');
const RENDERER = path.join(repoRoot, 'dist', 'renderer', 'index.html');

/**
 * Where `require('electron')` would point, resolved the way node_modules/electron/index.js does
 * (path.txt, ELECTRON_OVERRIDE_DIST_PATH) but WITHOUT its side effect: since Electron 40-ish,
 * this electron package (45) starts a download when required without its binary, which cannot work here and would
 * only slow every test run down. ELECTRON_EXECUTABLE may point at any other Electron 45 binary.
 */
function electronBinary(): { path: string | null; reason: string } {
  const skip = { path: null, reason: 'Electron binary not installed (ELECTRON_SKIP_BINARY_DOWNLOAD): skipping the real-app test' };
  if (process.env.ELECTRON_EXECUTABLE) return existsSync(process.env.ELECTRON_EXECUTABLE) ? { path: process.env.ELECTRON_EXECUTABLE, reason: '' } : skip;
  let packageDir: string;
  try {
    packageDir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return skip;
  }
  const pathFile = path.join(packageDir, 'path.txt');
  if (!existsSync(pathFile)) return skip;
  const relative = readFileSync(pathFile, 'utf8');
  const full = process.env.ELECTRON_OVERRIDE_DIST_PATH ? path.join(process.env.ELECTRON_OVERRIDE_DIST_PATH, relative) : path.join(packageDir, 'dist', relative);
  return existsSync(full) ? { path: full, reason: '' } : skip;
}

const binary = electronBinary();
let skipReason = binary.reason;
if (!skipReason && ![MAIN, PRELOAD, RENDERER].every((f) => existsSync(f)))
  skipReason = 'The app is not built (npm run build && npm run build:preload): skipping the real-app test';
if (!skipReason && process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY)
  skipReason = 'No display for Electron (run under xvfb-run -a): skipping the real-app test';
if (skipReason) console.warn(skipReason);

const PASSWORD = 'Correct-Horse-Battery-Staple-42';

describe.skipIf(Boolean(skipReason))('the real app (Electron)', () => {
  let app: ElectronApplication;
  let page: Page;
  let work: string;
  let dataDir: string;

  beforeAll(async () => {
    work = await mkdtemp(path.join(os.tmpdir(), 'cm-e2e-'));
    dataDir = path.join(work, 'store');
    app = await _electron.launch({ executablePath: binary.path!, args: [MAIN, '--data-dir', dataDir], env: { ...process.env, ELECTRON_ENABLE_LOGGING: '1' } });
    page = await app.firstWindow();
    await page.waitForLoadState('domcontentloaded');
  });
  afterAll(async () => {
    await app?.close();
  });

  it('loads the renderer from app://certificatemanager and shows the first-run wizard', async () => {
    expect(page.url()).toMatch(/^app:\/\/certificatemanager\//);
    await page.getByText(/server authentication certificate|サーバ認証証明書/i).first().waitFor({ timeout: 20_000 });
    await page.getByRole('button', { name: /^(Next|次へ)/ }).click();
    await page.getByText(/Generate a new certificate|新しい証明書を生成する/).first().waitFor({ timeout: 20_000 });
  });

  it('gives the page one object and no Node', async () => {
    const shape = await page.evaluate(() => ({
      keys: Object.keys(window.certificateManager).sort(),
      require: typeof window.require,
      process: typeof window.process,
      ipc: typeof window.ipcRenderer,
    }));
    expect(shape).toEqual({ keys: [...OPERATION_KEYS, 'on'].sort(), require: 'undefined', process: 'undefined', ipc: 'undefined' });
  });

  it('enforces the CSP, and blocks navigation and new windows', async () => {
    const inlineRan = await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = true';
      document.head.appendChild(s);
      return window.__inline === true;
    });
    expect(inlineRan).toBe(false);
    const opened = await page.evaluate(() => window.open('https://example.com/') === null);
    expect(opened).toBe(true);
    await page.evaluate(() => {
      location.href = 'https://example.com/';
    });
    await page.waitForTimeout(500);
    expect(page.url()).toMatch(/^app:\/\/certificatemanager\//);
    expect(app.windows()).toHaveLength(1);
  });

  it('does a backup round trip through window.certificateManager, with files chosen in the (stubbed) native dialogs', async () => {
    const backupPath = path.join(work, 'backup.zip');
    // The admin's choice in the native dialogs, answered in main.
    await app.evaluate(({ dialog }, file) => {
      dialog.showSaveDialog = (async () => ({ canceled: false, filePath: file })) as unknown as typeof dialog.showSaveDialog;
      dialog.showOpenDialog = (async () => ({ canceled: false, filePaths: [file] })) as unknown as typeof dialog.showOpenDialog;
    }, backupPath);
    const result = await page.evaluate(
      async ({ password, elsewhere }) => {
        const api = window.certificateManager;
        const generated = await api.generate({ password, keySize: 2048 });
        // A path the admin did not choose is refused before anything is written.
        const unchosen = await api.backup({ path: elsewhere, password }).catch((e: unknown) => e);
        const saveAs = await api.showSaveDialog({ purpose: 'backup' });
        const backup = await api.backup({ path: saveAs.path!, password });
        const open = await api.showOpenDialog({ purpose: 'backup' });
        const inspected = await api.verifyBackup({ path: open.path!, password });
        const wrong = await api.verifyBackup({ path: open.path!, password: 'wrong password' }).catch((e: unknown) => e);
        const restored = await api.restore({ path: open.path!, password });
        return { generated, unchosen, saveAs, backup, inspected, wrong, restored };
      },
      { password: PASSWORD, backupPath, elsewhere: path.join(work, 'elsewhere.zip') },
    );
    expect(result.unchosen).toMatchObject({ name: 'CertManagerError', kind: 'usage', code: 'PATH_NOT_CHOSEN' });
    expect(result.saveAs.path).toBe(backupPath);
    const fingerprint = result.generated.status.current!.fingerprintSha256;
    expect(result.backup.fingerprintSha256).toBe(fingerprint);
    expect(result.inspected).toMatchObject({ sameAsCurrent: true, certificate: { fingerprintSha256: fingerprint } });
    expect(result.wrong).toMatchObject({ name: 'CertManagerError', kind: 'wrong-password' });
    expect(result.restored.current!.fingerprintSha256).toBe(fingerprint);
  });

  it('runs as the command line, without a window, when given CLI arguments', () => {
    const run = spawnSync(binary.path!, [MAIN, 'status', '--json', '--data-dir', dataDir], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(0);
    expect(JSON.parse(run.stdout)).toMatchObject({ hasCertificate: true });
  });
});
