/**
 * Issue #12, findings 8 and 9: focus lands on the result after asynchronous steps, file pickers
 * are where a page starts, text inputs show a focus ring like the buttons'; the wizard answers
 * Alt+N / Alt+B and asks before Esc quits; reduced motion and contrast themes are respected.
 * English; one browser for the file.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import en from '../../renderer/src/i18n/en.js';
import { chromiumAvailable, ensureRendererBuilt, sharedChromium, openApp, shot, type AppSession } from './harness.js';
import { flow, waitFocus } from './flows.js';

const STRONG = 'Maple-Orbit-Cactus-Lantern-42';

async function css(page: Page, selector: string, property: string): Promise<string> {
  return (await page.evaluate(`getComputedStyle(document.querySelector(${JSON.stringify(selector)})).getPropertyValue(${JSON.stringify(property)})`)) as string;
}

describe.skipIf(!chromiumAvailable)('keyboard, focus and Windows display settings (en, Chromium, real core)', () => {
  let browser: Browser;
  const sessions: AppSession[] = [];

  beforeAll(async () => {
    await ensureRendererBuilt();
    browser = await sharedChromium();
  }, 180_000);

  afterAll(async () => {
    for (const s of sessions) await s.close();
  });

  describe('generate path', () => {
    let s: AppSession;
    let page: Page;
    const step = flow(90_000);

    beforeAll(async () => {
      s = await openApp(browser, { locale: 'en-US' });
      sessions.push(s);
      page = s.page;
    });

    step('Alt+N and Alt+B move the wizard like a Windows installer', async () => {
      const wizard = page.locator('[data-testid="wizard"]');
      await page.locator('[data-testid="wizard"][data-step="welcome"]').waitFor();
      await page.keyboard.press('Alt+KeyN');
      await page.locator('[data-testid="wizard"][data-step="method"]').waitFor();
      await page.keyboard.press('Alt+KeyB');
      await page.locator('[data-testid="wizard"][data-step="welcome"]').waitFor();
      await page.keyboard.press('Alt+KeyN');
      await page.locator('[data-testid="method-generate"]').check();
      await page.keyboard.press('Alt+KeyN');
      await page.locator('[data-testid="wizard"][data-step="password"]').waitFor();
      expect(await wizard.getAttribute('data-step')).toBe('password');
    });

    step('Esc asks before quitting; the safe answer has focus and Esc again keeps the wizard', async () => {
      await page.keyboard.press('Escape');
      const question = page.locator('[data-testid="wizard-quit"]');
      await question.waitFor();
      expect(await question.textContent()).toContain(en.wizard.quit.title);
      await waitFocus(page, '[data-testid="wizard-quit-continue"]');
      await shot(page, 'en', 'kf-01-wizard-quit-question');
      await page.keyboard.press('Escape');
      await question.waitFor({ state: 'detached' });
      expect(await page.locator('[data-testid="wizard"]').getAttribute('data-step')).toBe('password');
    });

    step('a focused text input has a focus ring as visible as a button\'s', async () => {
      await page.locator('#wizard-pw-new').focus();
      await page.keyboard.press('Tab');
      await page.keyboard.press('Shift+Tab');
      await waitFocus(page, '#wizard-pw-new');
      expect(await css(page, '#wizard-pw-new', 'outline-style')).toBe('solid');
      expect(await css(page, '#wizard-pw-new', 'outline-width')).toBe('2px');
    });

    step('after "Back up now" focus is on the result; after opening the dashboard, on its heading', async () => {
      await page.locator('#wizard-pw-new').fill(STRONG);
      await page.locator('#wizard-pw-confirm').fill(STRONG);
      await page.keyboard.press('Alt+KeyN');
      await page.locator('[data-testid="wizard"][data-step="done"]').waitFor({ timeout: 60_000 });
      await page.locator('[data-testid="backup-now"]').click();
      await page.locator('[data-testid="backup-done"]').waitFor({ timeout: 30_000 });
      await waitFocus(page, '[data-testid="backup-done"]');
      await page.keyboard.press('Alt+KeyN');
      await page.locator('[data-testid="dashboard"]').waitFor();
      await waitFocus(page, '[data-testid="dashboard"] h1');
    });

    step('the restore dialog starts on its file picker', async () => {
      await page.locator('[data-testid="task-restore"]').click();
      await waitFocus(page, '[data-testid="restore-dialog"] [data-testid="choose-file"]');
      await page.keyboard.press('Escape');
      await page.locator('[data-testid="restore-dialog"]').waitFor({ state: 'detached' });
    });

    step('reduced motion: nothing animates its way in', async () => {
      // The harness opens every page with prefers-reduced-motion: reduce.
      expect(await css(page, '[data-testid="task-restore"]', 'transition-duration')).toBe('0s');
    });

    step('contrast themes: the default button and notices keep a visible outline', async () => {
      await page.emulateMedia({ forcedColors: 'active' });
      await page.locator('[data-testid="task-backup"]').click();
      const dialog = page.locator('[data-testid="backup-dialog"]');
      await dialog.waitFor();
      expect(await css(page, '[data-testid="backup-dialog"] .btn-primary', 'border-top-width')).toBe('2px');
      await shot(page, 'en', 'kf-02-forced-colors-backup');
      await page.keyboard.press('Escape');
      await dialog.waitFor({ state: 'detached' });
      await page.emulateMedia({ forcedColors: 'none' });
    });
  });

  it('the import page starts on its file picker', async () => {
    const s = await openApp(browser, { locale: 'en-US' });
    sessions.push(s);
    const page = s.page;
    await page.locator('[data-testid="wizard"][data-step="welcome"]').waitFor();
    await page.locator('[data-testid="wizard-next"]').click();
    await page.locator('[data-testid="method-import"]').check();
    await page.locator('[data-testid="wizard-next"]').click();
    await page.locator('[data-testid="wizard"][data-step="file"]').waitFor();
    await waitFocus(page, '#import-file');
  }, 60_000);
});
