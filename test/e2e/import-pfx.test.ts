/**
 * Issue #12, finding 5: a first-run import of a bare .pfx (made by OpenSSL, as an admin's old
 * tooling would) says that a .pfx carries no rotation history before anything is imported, and the dashboard
 * then says "Imported", not "Restored from a backup".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import en from '../../renderer/src/i18n/en.js';
import ja from '../../renderer/src/i18n/ja.js';
import { chromiumAvailable, ensureRendererBuilt, sharedChromium, openApp, shot, type Lang } from './harness.js';

const PFX_PASSWORD = 'Harbor-Cactus-Meadow-Quartz-58';

describe.skipIf(!chromiumAvailable)('import of a bare .pfx in the wizard (Chromium, real core, OpenSSL-made file)', () => {
  let browser: Browser;
  let scratch: string;
  let pfx: string;

  beforeAll(async () => {
    await ensureRendererBuilt();
    browser = await sharedChromium();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'cm-e2e-pfx-'));
    const key = path.join(scratch, 'key.pem');
    const cert = path.join(scratch, 'cert.pem');
    pfx = path.join(scratch, 'server.pfx');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '365', '-subj', '/CN=server.corp.example'], { stdio: 'pipe' });
    execFileSync('openssl', ['pkcs12', '-export', '-inkey', key, '-in', cert, '-out', pfx, '-passout', `pass:${PFX_PASSWORD}`], { stdio: 'pipe' });
  }, 180_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  for (const lang of ['ja', 'en'] as Lang[]) {
    it(`${lang}: the review page says a .pfx has no rotation history`, async () => {
      const M = lang === 'ja' ? ja : en;
      const s = await openApp(browser, { locale: lang === 'ja' ? 'ja-JP' : 'en-US' });
      try {
        const page = s.page;
        await page.locator('[data-testid="wizard"][data-step="welcome"]').waitFor();
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="method-import"]').check();
        await page.locator('[data-testid="wizard-next"]').click();
        s.queueOpen(pfx);
        await page.locator('[data-testid="choose-file"]').click();
        // The choice comes back from main asynchronously: Next before it lands finds no file
        // (this timed out once on a loaded CI machine).
        await page.getByText('server.pfx').first().waitFor();
        await page.locator('#import-password').fill(PFX_PASSWORD);
        await page.locator('[data-testid="wizard-next"]').click();
        const note = page.locator('[data-testid="pfx-no-history"]');
        await note.waitFor({ timeout: 30_000 });
        expect((await note.textContent())?.trim()).toBe(M.wizard.review.pfxNoHistory);
        await shot(page, lang, 'pfx-01-import-review');
        // Imported, and the dashboard says so: not "Restored from a backup".
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="wizard"][data-step="done"]').waitFor({ timeout: 60_000 });
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="dashboard"]').waitFor();
        expect((await page.locator('[data-testid="cert-source"]').textContent())?.trim()).toBe(M.cert.sourceImported);
      } finally {
        await s.close();
      }
    }, 90_000);
  }
});
