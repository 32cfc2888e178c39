/**
 * Issue #12, finding 7 and the "no English on a Japanese screen" check: every screen and dialog
 * rendered in ja, with a log that holds every reason code with the agent's English text, shows
 * no Latin-script words except product names, codes, paths, fingerprints and numbers; log
 * times name their UTC offset.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { generateCertificate } from '../../core/ops/index.js';
import { startFleetServer } from '../../core/fleet/index.js';
import { MESSAGE_KINDS, TRUST_FAILURE_REASONS } from '../../core/trust/index.js';
import { chromiumAvailable, ensureRendererBuilt, launchChromium, openApp, shot, TEST_ITERATIONS, type AppSession } from './harness.js';

const PASSWORD = 'Maple-Orbit-Cactus-Lantern-42';

/** Latin words an admin may see on a Japanese screen: product and standard names. */
const ALLOWED = new Set(['CertificateManager', 'Windows', 'Hotfix', 'PKCS', 'SHA', 'RSA', 'ID', 'CSV', 'UTC', 'Caps', 'Lock', 'zip', 'pfx', 'p12', 'cer', 'v']);

/** Visible Latin-script words in `root` that are not allowed, with where they were. */
async function latinWords(page: Page, selector: string): Promise<string[]> {
  const texts = (await page.evaluate(`(function () {
    var root = document.querySelector(${JSON.stringify(selector)});
    if (!root) return [];
    var out = [];
    var walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (var n = walker.nextNode(); n; n = walker.nextNode()) {
      var el = n.parentElement;
      if (!el || el.closest('.visually-hidden, [data-testid="fingerprint"], .mono, .code, .path, .names, [data-testid="cert-subject"], .dn, .meta')) continue;
      if (!el.getClientRects().length) continue;
      if (n.textContent.trim()) out.push(n.textContent);
    }
    return out;
  })()`)) as string[];
  const bad: string[] = [];
  for (const text of texts) {
    // Paths, file names, host names and codes are data, not prose.
    const cleaned = text.replace(/[A-Za-z]:\\[^\s]*|\/[^\s]*|[\w.-]+\.(zip|pfx|p12|cer|csv|json)\b|\b[\w-]+(\.[\w-]+)+\b|\b[A-Z0-9_]{3,}\b|\b[0-9a-f]{8,}\b|\bpc-\d+\b/g, ' ');
    for (const word of cleaned.match(/[A-Za-z]+/g) ?? []) if (!ALLOWED.has(word)) bad.push(`${word} in “${text.trim().slice(0, 60)}”`);
  }
  return bad;
}

describe.skipIf(!chromiumAvailable)('a Japanese screen has no English on it (ja, Chromium, real core)', () => {
  let browser: Browser;
  let scratch: string;
  let s: AppSession;
  let page: Page;

  beforeAll(async () => {
    await ensureRendererBuilt();
    browser = await launchChromium();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'cm-e2e-jaonly-'));
    const store = path.join(scratch, 'store');
    await generateCertificate({ dataDir: store, iterations: TEST_ITERATIONS }, { password: PASSWORD, commonName: 'server.corp.example', keySize: 2048 });
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
    await browser?.close();
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
    for (const task of ['backup', 'restore', 'renew', 'settings']) {
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
});
