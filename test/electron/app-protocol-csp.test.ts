// The app:// protocol handler's responses, delivered to real Chromium byte for byte. The CSP of the
// window exists only as a response header of this handler (electron/main/app-protocol.ts), so the
// test serves the handler's own Response objects (status, every header, body) over 127.0.0.1 and
// checks that Chromium blocks an inline script, an inline handler and a network request under
// exactly those headers, while the app's own script runs.
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_CSP, APP_ORIGIN, createAppProtocolHandler } from '../../electron/main/app-protocol.js';
import { chromiumAvailable, sharedChromium } from '../e2e/harness.js';

const PAGE = `<!doctype html><html><head><meta charset="utf-8"><title>start</title>
<script src="/assets/app.js"></script>
<script>document.title = 'inline-ran';</script>
</head><body><img src="x.png" onerror="document.title = 'handler-ran'"></body></html>`;
const APP_JS = `window.violations = [];
document.addEventListener('securitypolicyviolation', (e) => window.violations.push(e.violatedDirective + ' ' + (e.blockedURI || '')));
window.externalRan = true;
fetch('https://example.invalid/').catch(() => {});`;

describe('app:// handler responses (real Request objects)', () => {
  let dir: string;
  let handler: (request: Request) => Promise<Response>;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'cm-proto-csp-'));
    await mkdir(path.join(dir, 'assets'), { recursive: true });
    await writeFile(path.join(dir, 'index.html'), PAGE);
    await writeFile(path.join(dir, 'assets', 'app.js'), APP_JS);
    for (const f of ['a.css', 'b.svg', 'c.woff2', 'd.png', 'e.json', 'f.ico']) await writeFile(path.join(dir, 'assets', f), 'x');
    handler = createAppProtocolHandler({ rootDir: dir, log: () => {} });
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('sends the same security headers on every answer, success or refusal', async () => {
    const urls = [`${APP_ORIGIN}/`, `${APP_ORIGIN}/assets/app.js`, `${APP_ORIGIN}/%2e%2e/etc/passwd`, `${APP_ORIGIN}/.env`, 'app://evil/index.html', `${APP_ORIGIN}/x.exe`];
    for (const url of urls) {
      const r = await handler(new Request(url));
      expect(r.headers.get('content-security-policy'), url).toBe(APP_CSP);
      expect(r.headers.get('x-content-type-options'), url).toBe('nosniff');
      expect(r.headers.get('cross-origin-opener-policy'), url).toBe('same-origin');
      expect(r.headers.get('referrer-policy'), url).toBe('no-referrer');
      expect(r.headers.get('cache-control'), url).toBe('no-store');
    }
  });

  it.each([
    ['a.css', 'text/css; charset=utf-8'],
    ['b.svg', 'image/svg+xml'],
    ['c.woff2', 'font/woff2'],
    ['d.png', 'image/png'],
    ['e.json', 'application/json; charset=utf-8'],
    ['f.ico', 'image/x-icon'],
    ['app.js', 'text/javascript; charset=utf-8'],
  ])('serves %s as %s', async (file, type) => {
    const r = await handler(new Request(`${APP_ORIGIN}/assets/${file}`));
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe(type);
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await handler(new Request(`${APP_ORIGIN}/index.html`, { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.body).toBeNull();
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS']) expect((await handler(new Request(`${APP_ORIGIN}/index.html`, { method }))).status, method).toBe(405);
  });

  it.each(['/%2e%2e/%2e%2e/etc/passwd', '/assets/..%2f..%2fetc%2fpasswd', '/..%5c..%5cwindows%5cwin.ini', '/C:/Windows/win.ini', '/index.html%00.png', '/.git/config'])(
    'refuses %s with 404',
    async (p) => {
      const r = await handler(new Request(`${APP_ORIGIN}${p}`));
      expect(r.status).toBe(404);
      expect(await r.text()).toBe('Not found');
    },
  );

  describe.skipIf(!chromiumAvailable)('in Chromium, under exactly these headers', () => {
    let server: http.Server;
    let base: string;
    let browser: Browser;
    beforeAll(async () => {
      // Each HTTP request becomes a Request for the same path on app://certificatemanager; the
      // handler's Response goes back unchanged: status, every header, the body.
      server = http.createServer((req, res) => {
        void (async () => {
          const response = await handler(new Request(`${APP_ORIGIN}${req.url ?? '/'}`, { method: req.method }));
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        })();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      browser = await sharedChromium();
    }, 60_000);
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
    });

    it('runs the app’s own script and blocks the inline script, the inline handler and the network', async () => {
      const page = await browser.newPage();
      const reported: string[] = [];
      page.on('console', (m) => /Content Security Policy/i.test(m.text()) && reported.push(m.text()));
      try {
        const response = await page.goto(`${base}/index.html`);
        expect(response?.headers()['content-security-policy']).toBe(APP_CSP);
        await page.waitForFunction(() => (globalThis as unknown as { violations?: string[] }).violations !== undefined);
        await page.waitForFunction(() => (globalThis as unknown as { violations: string[] }).violations.some((v) => v.startsWith('connect-src')));
        await page.waitForFunction(() => (globalThis as unknown as { violations: string[] }).violations.some((v) => v.startsWith('img-src')) || (globalThis as unknown as { document: { readyState: string } }).document.readyState === 'complete');
        expect(await page.evaluate(() => (globalThis as unknown as { externalRan?: boolean }).externalRan)).toBe(true);
        expect(await page.title()).toBe('start'); // neither the inline script nor the onerror handler ran
        const violations = await page.evaluate(() => (globalThis as unknown as { violations: string[] }).violations);
        expect(violations.some((v) => v.startsWith('script-src-elem inline') || v.startsWith('script-src inline'))).toBe(true);
        expect(violations.some((v) => v.startsWith('connect-src'))).toBe(true);
        // What the next test watches for on the real renderer is reported here.
        expect(reported.some((t) => /inline script/i.test(t))).toBe(true);
      } finally {
        await page.close();
      }
    }, 60_000);

    // The real built renderer (npm run build) through the same handler: its start-up must not
    // trip the CSP it ships with (an inline script, a style attribute, a data: font...).
    const rendererDir = path.resolve(import.meta.dirname, '..', '..', 'dist', 'renderer');
    it.skipIf(!existsSync(path.join(rendererDir, 'index.html')))('the built renderer starts with no CSP violation', async () => {
      const real = createAppProtocolHandler({ rootDir: rendererDir, log: () => {} });
      const relay = http.createServer((req, res) => {
        void (async () => {
          const response = await real(new Request(`${APP_ORIGIN}${req.url ?? '/'}`, { method: req.method }));
          res.writeHead(response.status, Object.fromEntries(response.headers));
          res.end(Buffer.from(await response.arrayBuffer()));
        })();
      });
      await new Promise<void>((resolve) => relay.listen(0, '127.0.0.1', resolve));
      const page = await browser.newPage();
      const violations: string[] = [];
      page.on('console', (m) => /Content Security Policy/i.test(m.text()) && violations.push(m.text()));
      try {
        await page.goto(`http://127.0.0.1:${(relay.address() as AddressInfo).port}/index.html`);
        await page.waitForLoadState('load');
        await page.waitForTimeout(500); // let the app mount (no timing is asserted)
        expect(violations).toEqual([]);
      } finally {
        await page.close();
        await new Promise((resolve) => relay.close(resolve));
      }
    }, 60_000);
  });
});
