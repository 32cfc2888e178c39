/**
 * End-to-end harness: the built renderer in Debian's Chromium (playwright-core), through the
 * test-only HTTP bridge, against the real core in a temporary data folder.
 *
 * The core's own handlers are used (createApiHandlers), with three test-only choices: a low
 * PBKDF2 iteration count (cheap crypto), the OS locale the page should see, and native dialogs
 * answered from queues.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { mkdtemp, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { createApiHandlers } from '../../core/api/service.js';
import { watchFleet } from '../../core/fleet/index.js';
import { startBridge, type Bridge } from '../bridge/bridge.js';
import { FIXTURE_STRENGTH } from '../helpers/fixtures.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');
export const rendererDist = path.join(repoRoot, 'dist', 'renderer');
export const screenshotRoot = path.join(repoRoot, 'test-results', 'screenshots');
/**
 * The walks run in Debian's chromium-headless-shell when it is installed: the same Blink and V8
 * as /usr/bin/chromium (one Debian source, one version), without the full browser around them,
 * as Playwright itself runs headless tests. On this 2-core machine it does the same walks with
 * about 45 % less CPU. test/bridge/chromium.test.ts and the bench keep the full browser.
 * CM_TEST_CHROMIUM names another binary.
 */
const CHROMIUM_CANDIDATES = ['/usr/lib/chromium/chromium-headless-shell', '/usr/bin/chromium'];
export const CHROMIUM = process.env['CM_TEST_CHROMIUM'] ?? CHROMIUM_CANDIDATES.find((candidate) => existsSync(candidate)) ?? '/usr/bin/chromium';
export const chromiumAvailable = existsSync(CHROMIUM);

function newestMtime(target: string): number {
  if (!existsSync(target)) return 0;
  const s = statSync(target);
  if (!s.isDirectory()) return s.mtimeMs;
  return readdirSync(target).reduce((max, name) => Math.max(max, newestMtime(path.join(target, name))), s.mtimeMs);
}

/** Builds dist/renderer when it is missing or older than its sources. Safe across parallel files. */
export async function ensureRendererBuilt(): Promise<void> {
  const sources = Math.max(newestMtime(path.join(repoRoot, 'renderer')), newestMtime(path.join(repoRoot, 'core', 'api', 'contract.ts')), newestMtime(path.join(repoRoot, 'core', 'api', 'schemas.ts')));
  const index = path.join(rendererDist, 'index.html');
  const fresh = () => existsSync(index) && statSync(index).mtimeMs >= sources;
  if (fresh()) return;
  const lock = path.join(repoRoot, 'dist', '.renderer-build.lock');
  mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // Another test file is building; a lock older than two minutes is stale.
      if (existsSync(lock) && Date.now() - statSync(lock).mtimeMs > 120_000) rmSync(lock, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error('timed out waiting for the renderer build lock');
      await new Promise((r) => setTimeout(r, 250));
    }
  }
  try {
    if (!fresh()) {
      execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'vite', 'bin', 'vite.js'), 'build', '--config', 'renderer/vite.config.ts', '--logLevel', 'error'], {
        cwd: repoRoot,
        stdio: 'pipe',
        env: { ...process.env, NODE_ENV: 'production' },
      });
    }
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

let workerBrowser: Promise<Browser> | null = null;

/**
 * The worker's browser. Test files share a worker process (vitest.config.ts), and a launch costs
 * about 0.6 s of CPU, so the first file that needs Chromium launches it and the files after it
 * reuse it. Each session still gets its own browser context (openApp): no cookies, storage or
 * cache pass from one test to the next. Files do not close it; Playwright ends it with the worker.
 */
export async function sharedChromium(): Promise<Browser> {
  const browser = await (workerBrowser ??= launchChromium());
  if (browser.isConnected()) return browser;
  workerBrowser = null; // it crashed or was closed: launch another
  return sharedChromium();
}

async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--font-render-hinting=none'],
  });
}

export type Lang = 'en' | 'ja';

export interface AppSession {
  bridge: Bridge;
  context: BrowserContext;
  page: Page;
  dataDir: string;
  /** Scratch folder for files the "admin" picks or saves. */
  files: string;
  queueOpen(file: string | null): void;
  queueSave(file: string | null): void;
  /** Console errors, page errors and CSP violations seen so far. */
  problems: string[];
  /**
   * Holds every new key (-g, -c) until the returned function is called: a test can look at the
   * screens of an operation in progress however fast the test keys come.
   */
  holdNewKeys(): () => void;
  close(): Promise<void>;
}

/** Starts the bridge on a fresh data folder and opens the app page with the given OS locale. */
export async function openApp(
  browser: Browser,
  options: { locale: 'en-US' | 'ja-JP'; dataDir?: string; viewport?: { width: number; height: number }; deviceScaleFactor?: number },
): Promise<AppSession> {
  const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'cm-e2e-data-')));
  const files = await mkdtemp(path.join(os.tmpdir(), 'cm-e2e-files-'));
  await mkdir(dataDir, { recursive: true });
  const openQueue: Array<string | null> = [];
  const saveQueue: Array<string | null> = [];
  // The handlers need the bridge's emit, and the bridge needs the handlers.
  const ref: { bridge?: Bridge } = {};
  let keysHeld: Promise<void> = Promise.resolve();
  const handlers = createApiHandlers({
    dataDir,
    emit: (event, payload) => void ref.bridge?.emit(event, payload),
    dialogs: {
      showOpen: async () => (openQueue.length ? openQueue.shift()! : null),
      showSave: async (purpose, defaultName) => (saveQueue.length ? saveQueue.shift()! : path.join(files, path.basename(defaultName ?? `${purpose}.bin`))),
    },
    appInfo: { version: '0.1.0', locale: options.locale, platform: 'win32' },
    ...FIXTURE_STRENGTH,
    newPrivateKey: async (bits) => {
      await keysHeld;
      return FIXTURE_STRENGTH.newPrivateKey(bits);
    },
  });
  const bridge = await startBridge({ dataDir, handlers, log: () => {} });
  ref.bridge = bridge;
  // What the app's main process does: push fleetChanged when agents.json, the logs or CURRENT change.
  const watch = watchFleet(dataDir, (summary) => void bridge.emit('fleetChanged', summary), { intervalMs: 150 });
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 860 }, locale: options.locale, deviceScaleFactor: options.deviceScaleFactor ?? 1, reducedMotion: 'reduce' });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: bridge.url });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  // Report any CSP violation (inline style or script the app's policy would block).
  await page.addInitScript({
    content: `document.addEventListener('securitypolicyviolation', function (e) { console.error('CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI + ' ' + (e.sample || '')); });
      window.__cmProgress = [];`,
  });
  await page.goto(bridge.pageUrl);
  const session: AppSession = {
    bridge,
    context,
    page,
    dataDir,
    files,
    queueOpen: (file) => void openQueue.push(file),
    queueSave: (file) => void saveQueue.push(file),
    problems,
    holdNewKeys() {
      let release = () => {};
      keysHeld = new Promise((resolve) => (release = resolve));
      return release;
    },
    async close() {
      watch.close();
      await context.close();
      await bridge.close();
      rmSync(files, { recursive: true, force: true });
      if (!options.dataDir) rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return session;
}

/** Starts recording progress events seen by the page (through the same API object the app uses). */
export async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(`(function () {
    if (window.__cmProgressRecording) return;
    window.__cmProgressRecording = true;
    window.certificateManager.on('progress', function (e) { window.__cmProgress.push(e); });
  })()`);
}

export async function progressEvents(page: Page): Promise<Array<{ operation: string; step: string; fraction: number }>> {
  return (await page.evaluate('window.__cmProgress.splice(0)')) as Array<{ operation: string; step: string; fraction: number }>;
}

/**
 * With CM_SCREENSHOTS=1, saves a screenshot as test-results/screenshots/<lang>/<name>.png, for a
 * person to look at the screens (no test reads them). Off by default: the ~60 pictures cost
 * the suite about a tenth of its browser time. Returns the file, or null when off.
 */
export async function shot(page: Page, lang: Lang, name: string, options: { fullPage?: boolean } = {}): Promise<string | null> {
  if (process.env['CM_SCREENSHOTS'] !== '1') return null;
  const dir = path.join(screenshotRoot, lang);
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.png`);
  // Let transitions and fonts settle so the picture is what an admin sees.
  await page.evaluate('document.fonts.ready.then(function () { return new Promise(function (r) { requestAnimationFrame(function () { requestAnimationFrame(r); }); }); })');
  await page.screenshot({ path: file, animations: 'disabled', caret: 'hide', fullPage: options.fullPage ?? false });
  return file;
}
