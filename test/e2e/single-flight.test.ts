/**
 * Findings 1–3 of issue #12: every action that changes the store runs once from the first click
 * or Enter, Esc cannot hide work in progress, the app's own second request never surfaces as
 * STORE_LOCKED, and a wizard that meets a certificate made elsewhere offers the dashboard.
 * Japanese (the admins' language); one browser for the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import ja from '../../renderer/src/i18n/ja.js';
import { generateCertificate } from '../../core/ops/index.js';
import { chromiumAvailable, ensureRendererBuilt, sharedChromium, openApp, shot, type AppSession } from './harness.js';
import { fixtureContext } from '../helpers/fixtures.js';
import { apiCall, flow, poll, waitFocus } from './flows.js';

const STRONG = 'Maple-Orbit-Cactus-Lantern-42';
const STRONG_2 = 'Velvet-Harbor-Quartz-Meadow-77';

interface Status {
  hasCertificate: boolean;
  current: { version: number; fingerprintSha256: string } | null;
  replaced: unknown[];
}

/** Records the code of every error notice that ever appears, however briefly. */
async function recordErrors(page: Page): Promise<void> {
  await page.evaluate(`(function () {
    window.__cmErrors = [];
    var seen = new WeakSet();
    new MutationObserver(function () {
      document.querySelectorAll('[data-testid="error"]').forEach(function (e) {
        if (!seen.has(e)) { seen.add(e); window.__cmErrors.push(e.getAttribute('data-code')); }
      });
    }).observe(document.body, { subtree: true, childList: true, attributes: true });
  })()`);
}

async function errorsSeen(page: Page): Promise<string[]> {
  return (await page.evaluate('window.__cmErrors.slice()')) as string[];
}

/** Welcome → method (generate) → password page. */
async function toPasswordStep(page: Page): Promise<void> {
  await page.locator('[data-testid="wizard"][data-step="welcome"]').waitFor();
  await page.locator('[data-testid="wizard-next"]').click();
  await page.locator('[data-testid="method-generate"]').check();
  await page.locator('[data-testid="wizard-next"]').click();
  await page.locator('[data-testid="wizard"][data-step="password"]').waitFor();
}

describe.skipIf(!chromiumAvailable)('single-flight store changes and the wizard\'s way out (ja, Chromium, real core)', () => {
  let browser: Browser;
  const sessions: AppSession[] = [];
  const dataDirs: string[] = [];

  beforeAll(async () => {
    await ensureRendererBuilt();
    browser = await sharedChromium();
  }, 180_000);

  afterAll(async () => {
    for (const s of sessions) await s.close();
    for (const dir of dataDirs) await rm(dir, { recursive: true, force: true });
  });

  describe('generate, double-submitted', () => {
    let s: AppSession;
    let page: Page;
    const step = flow(90_000);

    beforeAll(async () => {
      s = await openApp(browser, { locale: 'ja-JP' });
      sessions.push(s);
      page = s.page;
    });

    step('a double-click on 生成 makes one certificate and reaches the done page, no STORE_LOCKED', async () => {
      await toPasswordStep(page);
      await recordErrors(page);
      await page.locator('#wizard-pw-new').fill(STRONG);
      await page.locator('#wizard-pw-confirm').fill(STRONG);
      // At once, before the strength check has settled: the second click must do nothing.
      await page.locator('[data-testid="wizard-next"]').dblclick();
      await page.locator('[data-testid="wizard"][data-step="done"]').waitFor({ timeout: 60_000 });
      expect(await errorsSeen(page)).toEqual([]);
      const status = await apiCall<Status>(page, 'getStatus');
      expect(status.current?.version).toBe(1);
      expect(status.replaced).toEqual([]);
      await shot(page, 'ja', 'sf-01-generate-double-click-done');
    });
  });

  describe('renew, double-submitted', () => {
    let firstBackup = '';
    let s: AppSession;
    let page: Page;
    const step = flow(90_000);

    beforeAll(async () => {
      const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cm-e2e-sf-'));
      dataDirs.push(dataDir);
      firstBackup = (await generateCertificate(fixtureContext(dataDir), { password: STRONG, subject: 'server.corp.example', keySize: 2048 })).backupPath;
      s = await openApp(browser, { locale: 'ja-JP', dataDir });
      sessions.push(s);
      page = s.page;
    }, 60_000);

    step('renew asks once, saying what happens, before a new key is made', async () => {
      await page.locator('[data-testid="dashboard"]').waitFor();
      await recordErrors(page);
      await page.locator('[data-testid="task-renew"]').click();
      const dialog = page.locator('[data-testid="renew-dialog"]');
      await dialog.waitFor();
      await page.locator('#renew-pw-new').fill(STRONG_2);
      await page.locator('#renew-pw-confirm').fill(STRONG_2);
      await page.locator('#renew-pw-confirm').focus();
      // Enter twice on the password page: one step forward, nothing renewed yet.
      await page.keyboard.press('Enter');
      await page.keyboard.press('Enter');
      const confirmStep = dialog.locator('[data-testid="renew-confirm"]');
      await confirmStep.waitFor();
      const said = (await confirmStep.textContent()) ?? '';
      for (const line of [ja.renew.confirmAgents, ja.renew.confirmTrust, ja.renew.confirmBackup]) expect(said).toContain(line);
      // Focus is on the question, so the second Enter did not answer it.
      await waitFocus(page, '[data-testid="renew-dialog"] [data-testid="renew-confirm"] [data-heading]');
      expect((await apiCall<Status>(page, 'getStatus')).current?.version).toBe(1);
      await shot(page, 'ja', 'sf-03-renew-confirm');
    });

    step('Enter twice on 更新, then Esc twice: one renewal, the dialog stays and shows the result', async () => {
      const dialog = page.locator('[data-testid="renew-dialog"]');
      await dialog.locator('[data-testid="dialog-confirm"]').focus();
      // The new key is held until both Escapes are in: they land while the renewal runs.
      const release = s.holdNewKeys();
      try {
        await page.keyboard.press('Enter');
        await page.keyboard.press('Enter');
        // The button is busy from the first Enter.
        expect(await dialog.locator('[data-testid="dialog-confirm"]').isDisabled()).toBe(true);
        await page.keyboard.press('Escape');
        await page.keyboard.press('Escape');
      } finally {
        release();
      }
      await dialog.locator('[data-testid="renew-done"]').waitFor({ timeout: 60_000 });
      expect(await dialog.isVisible()).toBe(true);
      expect(await errorsSeen(page)).toEqual([]);
      const status = await apiCall<Status>(page, 'getStatus');
      expect(status.current?.version).toBe(2);
      expect(status.replaced).toHaveLength(1);
      // Focus is on the result, not on <body>.
      await waitFocus(page, '[data-testid="renew-dialog"] [data-heading]');
      await dialog.locator('[data-testid="dialog-close"]').click();
      await dialog.waitFor({ state: 'detached' });
    });

    step('a double-click on 更新 also renews once', async () => {
      await page.locator('[data-testid="task-renew"]').click();
      const dialog = page.locator('[data-testid="renew-dialog"]');
      await dialog.waitFor();
      await page.locator('#renew-pw-new').fill(STRONG);
      await page.locator('#renew-pw-confirm').fill(STRONG);
      await dialog.locator('[data-testid="dialog-submit"]').dblclick();
      await dialog.locator('[data-testid="dialog-confirm"]').dblclick();
      await dialog.locator('[data-testid="renew-done"]').waitFor({ timeout: 60_000 });
      expect(await errorsSeen(page)).toEqual([]);
      const status = await apiCall<Status>(page, 'getStatus');
      expect(status.current?.version).toBe(3);
      expect(status.replaced).toHaveLength(2);
    });

    step('restoring version 1 over version 3 names the difference and needs an explicit yes', async () => {
      await page.locator('[data-testid="renew-dialog"] [data-testid="dialog-close"]').click();
      await page.locator('[data-testid="task-restore"]').click();
      const dialog = page.locator('[data-testid="restore-dialog"]');
      await dialog.waitFor();
      s.queueOpen(firstBackup);
      await dialog.locator('[data-testid="choose-file"]').click();
      await waitFocus(page, '#restore-password');
      await page.keyboard.type(STRONG);
      await page.keyboard.press('Enter');
      const older = dialog.locator('[data-testid="restore-risks"] [data-risk="older"]');
      await older.waitFor({ timeout: 30_000 });
      expect(await older.textContent()).toContain(ja.restore.risk.older.replace('{{version}}', '1').replace('{{current}}', '3').slice(0, 30));
      await shot(page, 'ja', 'sf-04-restore-older');
      await dialog.locator('[data-testid="dialog-confirm"]').click();
      await waitFocus(page, '[data-testid="restore-acknowledge"]');
      expect((await apiCall<Status>(page, 'getStatus')).current?.version).toBe(3);
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
    });
  });

  describe('a certificate made elsewhere while the wizard is open', () => {
    it('offers the dashboard instead of a dead end, with focus on it', async () => {
      const s = await openApp(browser, { locale: 'ja-JP' });
      sessions.push(s);
      const page = s.page;
      await toPasswordStep(page);
      // The CLI (or another window) sets the store up meanwhile.
      await generateCertificate(fixtureContext(s.dataDir), { password: STRONG_2, subject: 'elsewhere.corp.example', keySize: 2048 });
      await page.locator('#wizard-pw-new').fill(STRONG);
      await page.locator('#wizard-pw-confirm').fill(STRONG);
      await page.locator('[data-testid="wizard-next"]').click();
      const notice = page.locator('[data-testid="wizard-certificate-exists"]');
      await notice.waitFor({ timeout: 60_000 });
      expect(await notice.textContent()).toContain(ja.wizard.exists.title);
      await waitFocus(page, '[data-testid="wizard-open-dashboard"]');
      await shot(page, 'ja', 'sf-02-wizard-certificate-exists');
      await page.keyboard.press('Enter');
      await page.locator('[data-testid="dashboard"]').waitFor();
      await poll(page, `!!document.querySelector('[data-testid="certificate-card"]')`);
    }, 90_000);
  });
});
