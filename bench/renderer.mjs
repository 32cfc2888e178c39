// The renderer's budget and startup:
//   size:    gzipped JavaScript of dist/renderer (budget 150 kB), and CSS for reference
//   startup: navigation → interactive first-run wizard (Next enabled, focus on the heading), in
//            Debian's Chromium through the test bridge against the real core (fresh data folder)
//
// Needs `npm run build` first (dist/renderer). The bridge is TypeScript under test/; it is loaded
// with Vite's module runner for this run and never written to dist/.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { median, ms } from './lib.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const rendererDir = join(root, 'dist', 'renderer');
const BUDGET_GZIP = 150 * 1024;
const CHROMIUM = '/usr/bin/chromium';

function walk(dir) {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

const kB = (n) => `${(n / 1024).toFixed(1).padStart(6)} kB`;

export function rendererSize() {
  if (!existsSync(join(rendererDir, 'index.html'))) throw new Error('dist/renderer is missing: run `npm run build:renderer` first');
  const files = walk(rendererDir);
  const sum = (ext, zip) => files.filter((f) => f.endsWith(ext)).reduce((n, f) => n + (zip ? gzipSync(readFileSync(f), { level: 9 }).length : statSync(f).size), 0);
  return { js: sum('.js', false), jsGzip: sum('.js', true), css: sum('.css', false), cssGzip: sum('.css', true) };
}

/**
 * Loads test/bridge/bridge.ts with Vite's module runner, as scripts/demo.mjs does (the bridge is
 * TypeScript under test/ and bundles its page client in memory; nothing is written to dist/).
 */
async function loadBridge() {
  const { runnerImport } = await import('vite');
  const { module } = await runnerImport(join(root, 'test', 'bridge', 'bridge.ts'), { configFile: false, logLevel: 'error', root });
  return module.startBridge;
}

export async function rendererStartup({ runs = 7 } = {}) {
  const { chromium } = await import('playwright-core');
  const startBridge = await loadBridge();
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  const times = [];
  const wall = [];
  try {
    for (let i = 0; i < runs; i++) {
      const dataDir = await mkdtemp(join(tmpdir(), 'cm-bench-ui-'));
      const bridge = await startBridge({ dataDir, rendererDir, log: () => {} });
      const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
      const page = await context.newPage();
      try {
        const started = performance.now();
        await page.goto(bridge.pageUrl, { waitUntil: 'commit' });
        await page.locator('[data-testid="wizard"][data-step="welcome"] [data-testid="wizard-next"]:enabled').waitFor({ timeout: 30_000 });
        wall.push(performance.now() - started);
        // The page's own clock: from the start of navigation to the wizard being usable.
        times.push(await page.evaluate('performance.now()'));
      } finally {
        await context.close();
        await bridge.close();
        await rm(dataDir, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
  // The first run pays for Chromium's process warm-up; report it apart.
  return { first: times[0], median: median(times.slice(1).length ? times.slice(1) : times), wallMedian: median(wall.slice(1).length ? wall.slice(1) : wall), runs };
}

export async function benchRenderer(options = {}) {
  console.log('\nRenderer (dist/renderer)');
  const size = rendererSize();
  const within = size.jsGzip <= BUDGET_GZIP;
  console.log(`  JavaScript             ${kB(size.js)} raw  ${kB(size.jsGzip)} gzip   budget ${kB(BUDGET_GZIP)} gzip  ${within ? 'OK' : 'OVER BUDGET'}`);
  console.log(`  CSS                    ${kB(size.css)} raw  ${kB(size.cssGzip)} gzip`);
  if (!existsSync(CHROMIUM)) {
    console.log(`  startup: skipped (${CHROMIUM} not found)`);
    return { size };
  }
  const startup = await rendererStartup(options);
  console.log(`  navigation → interactive wizard (Chromium, bridge, real core): median ${ms(startup.median)}  (first, cold: ${ms(startup.first)}; Playwright wall clock median ${ms(startup.wallMedian)}; ${startup.runs} runs)`);
  return { size, startup };
}

// `node bench/renderer.mjs` runs it alone.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  await benchRenderer();
}

