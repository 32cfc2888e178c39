/**
 * Issue #14, part 1: the History dialog, in Chromium against the real core. Newest first,
 * filtered by operation and result, says whether the log verifies, exports CSV with the other
 * exports' conventions, and shows a tampered log as such.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { backupCertificate, generateCertificate, restoreCertificate } from '../../core/ops/index.js';
import en from '../../renderer/src/i18n/en.js';
import ja from '../../renderer/src/i18n/ja.js';
import { chromiumAvailable, ensureRendererBuilt, sharedChromium, openApp, shot, type Lang } from './harness.js';
import { fixtureContext } from '../helpers/fixtures.js';

const PASSWORD = 'Maple-Orbit-Cactus-Lantern-42';

describe.skipIf(!chromiumAvailable)('History dialog (Chromium, real core)', () => {
  let browser: Browser;
  let scratch: string;

  beforeAll(async () => {
    await ensureRendererBuilt();
    browser = await sharedChromium();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'cm-e2e-history-'));
  }, 180_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  for (const lang of ['en', 'ja'] as Lang[]) {
    it(`${lang}: newest first, filters, CSV export, and a tampered log`, async () => {
      const M = lang === 'ja' ? ja : en;
      const store = path.join(scratch, `store-${lang}`);
      const context = fixtureContext(store);
      await generateCertificate(context, { password: PASSWORD, keySize: 2048 });
      const zip = path.join(scratch, `${lang}.zip`);
      await backupCertificate(context, { password: PASSWORD, outPath: zip });
      await expect(restoreCertificate(context, { path: zip, password: 'not the password', exportable: true })).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });

      const s = await openApp(browser, { locale: lang === 'ja' ? 'ja-JP' : 'en-US', dataDir: store });
      try {
        const page = s.page;
        await page.locator('[data-testid="task-history"]').click();
        const dialog = page.locator('[data-testid="history-dialog"]');
        await dialog.locator('[data-testid="history-verified"]').waitFor();
        const rows = dialog.locator('[data-testid="history-row"]');
        await rows.first().waitFor();
        // Newest first: the refused restore, the backup, the generation.
        expect(await rows.evaluateAll((els) => els.map((e) => `${e.getAttribute('data-operation')}:${e.getAttribute('data-result')}`))).toEqual([
          'restore:refused',
          'backup:ok',
          'generate:ok',
        ]);
        expect(await rows.first().textContent()).toContain(M.history.resultRefused);
        await shot(page, lang, 'history-01');

        await dialog.locator('[data-testid="history-result"]').selectOption('refused');
        await expect.poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-result'))), { timeout: 30_000 }).toEqual(['refused']);
        await dialog.locator('[data-testid="history-result"]').selectOption('');
        await dialog.locator('[data-testid="history-operation"]').selectOption('generate');
        await expect.poll(() => rows.evaluateAll((els) => els.map((e) => e.getAttribute('data-operation'))), { timeout: 30_000 }).toEqual(['generate']);
        await dialog.locator('[data-testid="history-operation"]').selectOption('');
        await expect.poll(() => rows.count(), { timeout: 30_000 }).toBe(3);

        const csv = path.join(s.files, 'history.csv');
        s.queueSave(csv);
        await dialog.locator('[data-testid="history-export"]').click();
        await dialog.locator('[data-testid="history-notice"]').waitFor({ timeout: 30_000 });
        const written = await readFile(csv, 'utf8');
        const lines = written.split('\r\n');
        expect(lines[0]).toBe(
          `\uFEFFseq,time,operation,result,code,fingerprint before,fingerprint after,account,machine,via,hash,${M.history.csvTime},${M.history.operation},${M.history.result}`,
        );
        expect(lines[1]).toMatch(new RegExp(`^3,[^,]+,restore,refused,WRONG_PASSWORD,.*,${M.history.operations.restore},${M.history.resultRefused}$`));
        expect(written).not.toContain(PASSWORD);
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });

        // Someone edits the log: the dialog says it does not verify.
        const log = path.join(store, 'audit.jsonl');
        await writeFile(log, (await readFile(log, 'utf8')).replace('"refused"', '"ok"'));
        await page.locator('[data-testid="task-history"]').click();
        await dialog.locator('[data-testid="history-broken"]').waitFor();
        expect(await dialog.locator('[data-testid="history-broken"]').textContent()).toContain(M.history.brokenTitle);
        await shot(page, lang, 'history-02-broken');
      } finally {
        await s.close();
      }
    }, 120_000);
  }
});
