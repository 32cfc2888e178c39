/**
 * Issue #12, finding 6: at 1024×640, and at 125 % and 150 % Windows display scaling (device
 * scale factor), every action stays on screen without scrolling: the wizard's footer on the
 * password page with errors and on the import review page, and the logs' "Clear filters".
 * Saves the screenshots under test-results/screenshots/<lang>/small-*.png.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import en from '../../renderer/src/i18n/en.js';
import ja from '../../renderer/src/i18n/ja.js';
import { generateCertificate } from '../../core/ops/index.js';
import { chromiumAvailable, ensureRendererBuilt, sharedChromium, openApp, shot, type Lang } from './harness.js';
import { fixtureContext } from '../helpers/fixtures.js';

const PASSWORD = 'Maple-Orbit-Cactus-Lantern-42';
const VIEWPORT = { width: 1024, height: 640 };

/** True when the element is inside the viewport and nothing (an overflow box, the fold) hides it. */
async function fullyVisible(page: Page, selector: string): Promise<boolean> {
  return (await page.evaluate(`(function () {
    var el = document.querySelector(${JSON.stringify(selector)});
    if (!el) return false;
    var r = el.getBoundingClientRect();
    if (r.width === 0 || r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight) return false;
    var points = [[r.left + 2, r.top + 2], [r.right - 2, r.top + 2], [r.left + 2, r.bottom - 2], [r.right - 2, r.bottom - 2]];
    return points.every(function (p) { var hit = document.elementFromPoint(p[0], p[1]); return !!hit && (hit === el || el.contains(hit)); });
  })()`)) as boolean;
}

async function pageScrolls(page: Page): Promise<boolean> {
  return (await page.evaluate('document.scrollingElement.scrollHeight > innerHeight + 1 || document.scrollingElement.scrollWidth > innerWidth + 1')) as boolean;
}

describe.skipIf(!chromiumAvailable)('1024×640 at 100/125/150 % (Chromium, real core)', () => {
  let browser: Browser;
  let scratch: string;
  let backup: string;

  beforeAll(async () => {
    await ensureRendererBuilt();
    browser = await sharedChromium();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'cm-e2e-small-'));
    backup = (await generateCertificate(fixtureContext(path.join(scratch, 'store')), { password: PASSWORD, subject: 'server.corp.example', keySize: 2048 })).backupPath;
  }, 180_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  const cases: Array<[Lang, number]> = [
    ['ja', 1],
    ['en', 1],
    ['ja', 1.25],
    ['ja', 1.5],
    ['en', 1.5],
  ];

  for (const [lang, scale] of cases) {
    const M = lang === 'ja' ? ja : en;
    const locale = lang === 'ja' ? 'ja-JP' : 'en-US';
    const tag = `small-${Math.round(scale * 100)}`;

    // One session per size: the wizard on an empty store (the password page with errors, then the
    // import review page), the import itself, then the logs dialog on the dashboard it leads to.
    it(`${lang} at ${scale * 100} %: the wizard's footer and the logs' filter buttons stay on screen`, async () => {
      const s = await openApp(browser, { locale, viewport: VIEWPORT, deviceScaleFactor: scale });
      try {
        const page = s.page;
        await page.locator('[data-testid="wizard"][data-step="welcome"]').waitFor();
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="method-generate"]').check();
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('#wizard-pw-new').fill('password123');
        await page.locator('#wizard-pw-confirm').fill('password124');
        await page.locator('#wizard-pw-confirm').press('Enter');
        await page.getByText(M.password.mismatch).waitFor();
        expect(await fullyVisible(page, '[data-testid="wizard-next"]'), 'password page: Next').toBe(true);
        expect(await fullyVisible(page, '[data-testid="wizard-back"]'), 'password page: Back').toBe(true);
        expect(await pageScrolls(page), 'password page scrolls').toBe(false);
        await shot(page, lang, `${tag}-wizard-password-errors`);

        await page.locator('[data-testid="wizard-back"]').click();
        await page.locator('[data-testid="method-import"]').check();
        await page.locator('[data-testid="wizard-next"]').click();
        s.queueOpen(backup);
        await page.locator('[data-testid="choose-file"]').click();
        // The choice comes back from main asynchronously: wait for it, or Next finds no file.
        await page.getByText(path.basename(backup)).first().waitFor();
        await page.locator('#import-password').fill(PASSWORD);
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="wizard"][data-step="review"]').waitFor({ timeout: 30_000 });
        expect(await fullyVisible(page, '[data-testid="wizard-next"]'), 'review page: Next').toBe(true);
        expect(await fullyVisible(page, '[data-testid="wizard-back"]'), 'review page: Back').toBe(true);
        expect(await pageScrolls(page), 'review page scrolls').toBe(false);
        await shot(page, lang, `${tag}-wizard-review`);

        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="wizard"][data-step="done"]').waitFor({ timeout: 30_000 });
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="dashboard"]').waitFor();
        await page.locator('[data-testid="task-logs"]').click();
        const dialog = page.locator('[data-testid="logs-dialog"]');
        await dialog.waitFor();
        const reset = `[data-testid="logs-dialog"] [data-testid="logs-filters"] .buttons .btn-subtle`;
        expect(await fullyVisible(page, reset), 'logs: Clear filters').toBe(true);
        expect(await fullyVisible(page, '[data-testid="logs-apply"]'), 'logs: Apply').toBe(true);
        expect(await fullyVisible(page, '[data-testid="logs-dialog"] [data-testid="dialog-close"]'), 'logs: Close').toBe(true);
        expect(await page.evaluate(`(function () { var f = document.querySelector('[data-testid="logs-filters"]'); return f.scrollWidth <= f.clientWidth; })()`)).toBe(true);
        await shot(page, lang, `${tag}-logs`);
      } finally {
        await s.close();
      }
    }, 90_000);
  }
});
