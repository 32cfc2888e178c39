/**
 * Issue #12, finding 7 and the "no English on a Japanese screen" check: every screen and dialog
 * rendered in ja, with a log that holds every reason code with the agent's English text, shows
 * no Latin-script words except product names, codes, paths, fingerprints and numbers; log
 * times name their UTC offset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { generateCertificate } from '../../core/ops/index.js';
import { startFleetServer } from '../../core/fleet/index.js';
import { MESSAGE_KINDS, TRUST_FAILURE_REASONS } from '../../core/trust/index.js';
import { latinWordsIn } from '../helpers/latin.js';
import { chromiumAvailable, ensureRendererBuilt, sharedChromium, openApp, shot, TEST_ITERATIONS, type AppSession } from './harness.js';

const PASSWORD = 'Maple-Orbit-Cactus-Lantern-42';

/** Visible Latin-script words in `root` that are not allowed, with where they were. */
async function latinWords(page: Page, selector: string): Promise<string[]> {
  const texts = (await page.evaluate(`(function () {
    var root = document.querySelector(${JSON.stringify(selector)});
    if (!root) return [];
    var out = [];
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      var el = n.parentElement;
      if (!el || el.closest('code, kbd, samp, .visually-hidden, [data-testid="fingerprint"], .mono, .code, .path, .names, [data-testid="cert-subject"], .dn, .meta')) continue;
      if (!el.getClientRects().length) continue;
      if (n.textContent.trim()) out.push(n.textContent);
    }
    return out;
  })()`)) as string[];
  const bad: string[] = [];
  for (const text of texts) for (const word of latinWordsIn(text)) bad.push(`${word} in “${text.trim().slice(0, 60)}”`);
  return bad;
}

describe.skipIf(!chromiumAvailable)('a Japanese screen has no English on it (ja, Chromium, real core)', () => {
  let browser: Browser;
  let scratch: string;
  let s: AppSession;
  let page: Page;

  beforeAll(async () => {
    await ensureRendererBuilt();
    browser = await sharedChromium();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'cm-e2e-jaonly-'));
    const store = path.join(scratch, 'store');
    await generateCertificate({ dataDir: store, iterations: TEST_ITERATIONS }, { password: PASSWORD, subject: 'server.corp.example', keySize: 2048 });
    // Every reason code, each with the English text an agent sends.
    const server = await startFleetServer({ dataDir: store, port: 0, storePollMs: 100, flushDelayMs: 50 });
    const now = Date.now();
    await server.failures.append(
      TRUST_FAILURE_REASONS.map((reason, i) => ({
        id: `r-${i}`,
        agentId: `pc-${String(i).padStart(2, '0')}`,
        time: new Date(now - i * 60_000).toISOString(),
        messageKind: MESSAGE_KINDS[i % MESSAGE_KINDS.length]!,
        reason,
        fingerprintSeen: null,
        detail: `The agent refused the message: ${reason} (signature verification failed)`,
      })),
      new Date(),
    );
    await server.close();
    s = await openApp(browser, { locale: 'ja-JP', dataDir: store });
    page = s.page;
  }, 180_000);

  afterAll(async () => {
    await s?.close();
    await rm(scratch, { recursive: true, force: true });
  });

  it('the auth-failure logs explain every reason in Japanese and name the UTC offset', async () => {
    await page.locator('[data-testid="dashboard"]').waitFor();
    await page.locator('[data-testid="task-logs"]').click();
    const dialog = page.locator('[data-testid="logs-dialog"]');
    await dialog.locator('[data-testid="logs-detail"]').first().waitFor();
    expect(await dialog.locator('[data-testid="logs-detail"]').count()).toBe(TRUST_FAILURE_REASONS.length);
    expect(await dialog.locator('[data-testid="logs-time-header"]').textContent()).toMatch(/UTC[+-]\d{2}:\d{2}/);
    expect(await latinWords(page, '[data-testid="logs-dialog"]')).toEqual([]);
    await shot(page, 'ja', 'ja-only-logs');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'detached' });
  }, 60_000);

  it('the dashboard and its dialogs', async () => {
    expect(await latinWords(page, '[data-testid="dashboard"]')).toEqual([]);
    for (const task of ['backup', 'restore', 'renew', 'clients', 'history', 'settings']) {
      await page.locator(`[data-testid="task-${task}"], [data-testid="open-settings-top"]`).first().waitFor();
      const opener = task === 'settings' ? '[data-testid="open-settings-top"]' : `[data-testid="task-${task}"]`;
      await page.locator(opener).click();
      const dialog = `[data-testid="${task}-dialog"]`;
      await page.locator(dialog).waitFor();
      expect(await latinWords(page, dialog), task).toEqual([]);
      await page.keyboard.press('Escape');
      await page.locator(dialog).waitFor({ state: 'detached' });
    }
  }, 60_000);

  it('every page of the first-run wizard, with its errors, on an empty store', async () => {
    const w = await openApp(browser, { locale: 'ja-JP' });
    try {
      const p = w.page;
      const wizard = '[data-testid="wizard"]';
      const check = async (name: string) => expect(await latinWords(p, wizard), name).toEqual([]);
      await p.locator(`${wizard}[data-step="welcome"]`).waitFor();
      await check('welcome');
      await p.locator('[data-testid="wizard-next"]').click();
      await p.locator('[data-testid="method-generate"]').waitFor();
      await check('method');
      // Generate: the password page, with a weak password refused and a mismatched confirmation.
      await p.locator('[data-testid="method-generate"]').check();
      await p.locator('[data-testid="wizard-next"]').click();
      await p.locator('[data-testid="password"]').waitFor();
      await p.locator('[data-testid="password"]').fill('password');
      await p.locator('[data-testid="password-confirm"]').fill('passwort');
      await p.locator('[data-testid="wizard-next"]').click();
      await check('password, refused');
      // Import: the file page, then a file that is not a backup, refused with what to do next.
      await p.locator('[data-testid="wizard-back"]').click();
      await p.locator('[data-testid="method-import"]').check();
      await p.locator('[data-testid="wizard-next"]').click();
      await p.locator('[data-testid="choose-file"]').waitFor();
      await check('import file');
      const notBackup = path.join(scratch, 'notes.zip');
      await writeFile(notBackup, 'not a backup');
      w.queueOpen(notBackup);
      await p.locator('[data-testid="choose-file"]').click();
      // The choice comes back from main asynchronously: wait for it, or Next finds no file.
      await p.getByText('notes.zip').first().waitFor();
      await p.locator('#import-password').fill(PASSWORD);
      await p.locator('[data-testid="wizard-next"]').click();
      await p.locator(`${wizard} [role="alert"]`).first().waitFor({ timeout: 30_000 });
      await check('import refused');
      await shot(p, 'ja', 'ja-only-wizard-import-refused');
    } finally {
      await w.close();
    }
  }, 90_000);
});
