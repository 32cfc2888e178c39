// The renderer's side of the contract in a real browser: Debian's Chromium, driven by
// playwright-core, loads a page from the test bridge; the injected client provides
// window.certificateManager (same shape as the preload's object), calls reach the real core, and
// pushed events arrive. The page runs under the app's CSP (except connect-src 'self').
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_KEYS, type CertificateManagerApi } from '../../core/api/contract.js';
import { DEFAULT_RENDERER_DIR, startBridge, type Bridge } from './bridge.js';
import { FIXTURE_STRENGTH } from '../helpers/fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const LAUNCH_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

// What the page code below sees (run in the browser by page.evaluate; this project's TypeScript
// has no DOM lib, so the few browser globals used are declared here, module-local).
interface PageWindow {
  certificateManager: CertificateManagerApi;
  __appSawApi?: boolean;
  __inlineRan?: boolean;
  __events?: unknown[];
  process?: unknown;
  require?: unknown;
}
declare const window: PageWindow;

if (!hasChromium) {
  const reason = `Chromium not found at ${CHROMIUM} (apt-get install -y chromium): skipping the browser tests`;
  console.warn(reason);
  // On CI a missing browser is a missing install step, not a reason to go green.
  if (process.env.CI) it('has Chromium installed on CI', () => expect.fail(reason));
}

/** One full browser for the file (a launch is ~2 s of CPU); each page gets its own context. */
let fullBrowser: Promise<Browser> | undefined;
const browserForFile = () => (fullBrowser ??= chromium.launch({ executablePath: CHROMIUM, headless: true, args: LAUNCH_ARGS }));
afterAll(async () => {
  await (await fullBrowser)?.close();
});

function collectCspViolations(page: Page): string[] {
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) violations.push(message.text());
  });
  return violations;
}

describe.skipIf(!hasChromium)('the bridge client in Chromium (fixture page)', () => {
  let bridge: Bridge;
  let page: Page;
  let violations: string[];

  beforeAll(async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cm-chromium-'));
    const renderer = path.join(dir, 'renderer');
    await mkdir(path.join(renderer, 'assets'), { recursive: true });
    // Shaped like Vite's output (base './'), plus an inline script the CSP must block.
    await writeFile(
      path.join(renderer, 'index.html'),
      `<!doctype html><html><head><meta charset="utf-8"><title>fixture</title>
<script type="module" crossorigin src="./assets/app.js"></script>
<script>window.__inlineRan = true;</script>
</head><body><p id="out"></p></body></html>`,
    );
    await writeFile(
      path.join(renderer, 'assets', 'app.js'),
      `window.__appSawApi = typeof window.certificateManager === 'object';
document.getElementById('out').textContent = String(window.__appSawApi);`,
    );
    bridge = await startBridge({ dataDir: path.join(dir, 'store'), rendererDir: renderer, log: () => {}, ...FIXTURE_STRENGTH });
    page = await (await browserForFile()).newPage();
    violations = collectCspViolations(page);
    await page.goto(bridge.pageUrl);
    await page.waitForFunction(() => window.__appSawApi !== undefined);
  });

  afterAll(async () => {
    await page?.context().close();
    await bridge?.close();
  });

  it('defines window.certificateManager before the app’s own script runs, with the preload’s shape', async () => {
    expect(await page.evaluate(() => window.__appSawApi)).toBe(true);
    const keys = await page.evaluate(() => Object.keys(window.certificateManager).sort());
    expect(keys).toEqual([...OPERATION_KEYS, 'on'].sort());
    expect(await page.evaluate(() => ({ process: typeof window.process, require: typeof window.require }))).toEqual({
      process: 'undefined',
      require: 'undefined',
    });
  });

  it('runs under the CSP: inline script blocked, other origins unreachable', async () => {
    expect(await page.evaluate(() => window.__inlineRan)).toBeUndefined();
    expect(violations.some((v) => /inline/i.test(v))).toBe(true);
    const foreign = await page.evaluate(() =>
      fetch('http://127.0.0.2:9/').then(
        () => 'reached',
        () => 'blocked',
      ),
    );
    expect(foreign).toBe('blocked');
  });

  it('getStatus({}) and appInfo({}) reach the real core', async () => {
    const status = await page.evaluate(() => window.certificateManager.getStatus({}));
    expect(status).toMatchObject({ hasCertificate: false, current: null, dataDir: bridge.dataDir });
    const info = await page.evaluate(() => window.certificateManager.appInfo({}));
    expect(info).toMatchObject({ dataDir: bridge.dataDir, locale: 'en-US' });
  });

  it('rejects with a plain CertManagerError object', async () => {
    const error = await page.evaluate(() => window.certificateManager.generate({ password: '' }).catch((e: unknown) => e));
    expect(error).toMatchObject({ name: 'CertManagerError', kind: 'usage', code: 'INVALID_REQUEST', details: { field: 'password' } });
  });

  it('receives pushed events: one emitted by the test, and the core’s progress during generate', async () => {
    await page.evaluate(() => {
      window.__events = [];
      window.certificateManager.on('progress', (payload: unknown) => window.__events!.push(payload));
    });
    await bridge.waitForEventClients(1);
    const pushed = { operation: 'verify-backup', step: 'checking', fraction: 0.1 } as const;
    expect(bridge.emit('progress', pushed)).toBe(true);
    await page.waitForFunction(() => window.__events!.length >= 1);
    expect(await page.evaluate(() => window.__events![0])).toEqual(pushed);

    const generated = await page.evaluate(() => window.certificateManager.generate({ password: 'Correct-Horse-Battery-Staple-42', keySize: 2048 }));
    expect(generated.status.hasCertificate).toBe(true);
    await page.waitForFunction(() => window.__events!.some((e) => (e as { operation: string; step: string }).operation === 'generate'));
    const steps = await page.evaluate(() => window.__events!.filter((e) => (e as { operation: string }).operation === 'generate'));
    expect(steps.length).toBeGreaterThan(0);
  });

  it('unsubscribes', async () => {
    const count = await page.evaluate(async () => {
      const seen: unknown[] = [];
      const off = window.certificateManager.on('statusChanged', (s: unknown) => seen.push(s));
      off();
      return seen.length;
    });
    expect(count).toBe(0);
    await expect(page.evaluate(() => window.certificateManager.on('nope' as never, () => {}))).rejects.toThrow(/Unknown event/);
  });
});

// CM_TEST_RENDERER_DIR: a renderer built elsewhere (e.g. `vite build --outDir /tmp/r`).
const RENDERER_DIR = process.env.CM_TEST_RENDERER_DIR ?? DEFAULT_RENDERER_DIR;
const builtRenderer = existsSync(path.join(RENDERER_DIR, 'index.html'));
describe.skipIf(!hasChromium || !builtRenderer)('the built renderer (dist/renderer) over the bridge', () => {
  it('starts on the first-run wizard under the app’s CSP, through window.certificateManager', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cm-chromium-app-'));
    const bridge = await startBridge({ dataDir: path.join(dir, 'store'), rendererDir: RENDERER_DIR, log: () => {}, ...FIXTURE_STRENGTH });
    const page = await (await browserForFile()).newPage();
    try {
      const violations = collectCspViolations(page);
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(bridge.pageUrl);
      await page.getByText(/server authentication certificate|サーバー?認証証明書/i).first().waitFor({ timeout: 15_000 });
      await page.getByRole('button', { name: /^(Next|次へ)/ }).click();
      await page.getByText(/Generate a new certificate|新しい証明書を生成する/).first().waitFor({ timeout: 15_000 });
      expect(violations).toEqual([]);
      expect(errors).toEqual([]);
    } finally {
      await page.context().close();
      await bridge.close();
    }
  });
});
