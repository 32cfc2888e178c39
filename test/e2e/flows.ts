/**
 * Every admin flow, driven in the real renderer through the bridge against the real core. The
 * long maintenance walk (generate, then every dialog) runs in one language and switches to the
 * other in its settings step; the two other first-run flows (expiry warning, import) run in the
 * other language from the start. So both languages drive real flows, and the walk runs once: the
 * dialogs' code is the same in both, and what differs by language is checked screen by screen in
 * one-language.test.ts (no word of the other language on any screen), i18n.test.ts (the same
 * keys) and small-window.test.ts (the layout). With CM_SCREENSHOTS=1 every screen is saved under
 * test-results/screenshots/<language>/.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFile, mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Locator, Page } from 'playwright-core';
import en from '../../renderer/src/i18n/en.js';
import ja from '../../renderer/src/i18n/ja.js';
import { generateCertificate, renewCertificate } from '../../core/ops/index.js';
import { startFleetServer, type FleetServer } from '../../core/fleet/index.js';
import { FleetSimulator } from '../../core/simulator/fleet-simulator.js';
import { readStore } from '../../core/store/store.js';
import type { FleetSummary } from '../../core/schemas.js';
import { chromiumAvailable, ensureRendererBuilt, sharedChromium, openApp, progressEvents, recordProgress, shot, type AppSession, type Lang } from './harness.js';
import { fixtureContext } from '../helpers/fixtures.js';

const STRONG = 'Maple-Orbit-Cactus-Lantern-42';
const STRONG_2 = 'Velvet-Harbor-Quartz-Meadow-77';
const WEAK = 'password123';
const OTHER_PASSWORD = 'Granite-Puzzle-Falcon-Ribbon-19';

async function focusedMatches(page: Page, selector: string): Promise<boolean> {
  return (await page.evaluate(`!!document.activeElement && document.activeElement.matches(${JSON.stringify(selector)})`)) as boolean;
}

/**
 * Polls an expression in the page. (Playwright's waitForFunction compiles its predicate with
 * eval inside the page, which the app's CSP rightly refuses; page.evaluate goes through CDP.)
 */
export async function poll(page: Page, expression: string, timeout = 30_000): Promise<void> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const ok = await page.evaluate(`(function () { try { return !!(${expression}); } catch (e) { return false; } })()`);
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for: ${expression}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Steps of one flow depend on each other: after a failure, the rest are skipped, not timed out. */
export function flow(defaultTimeout?: number) {
  let failed = false;
  return (name: string, fn: () => Promise<void> | void, timeout = defaultTimeout) =>
    it(
      name,
      async (context) => {
        if (failed) context.skip();
        try {
          await fn();
        } catch (error) {
          failed = true;
          throw error;
        }
      },
      timeout,
    );
}

export async function waitFocus(page: Page, selector: string): Promise<void> {
  await poll(page, `!!document.activeElement && document.activeElement.matches(${JSON.stringify(selector)})`, 30_000);
}

async function text(locator: Locator): Promise<string> {
  return ((await locator.textContent()) ?? '').replace(/\s+/g, ' ').trim();
}

export async function apiCall<T>(page: Page, op: string, request: object = {}): Promise<T> {
  return (await page.evaluate(`window.certificateManager.${op}(${JSON.stringify(request)})`)) as T;
}

/** Writes garbage into the middle of a copy of a file: a damaged backup. */
async function damagedCopy(source: string, target: string): Promise<string> {
  await copyFile(source, target);
  const bytes = await readFile(target);
  const start = Math.floor(bytes.length / 3);
  for (let i = start; i < Math.min(bytes.length, start + 512); i++) bytes[i] = (i * 7919) & 0xff;
  await writeFile(target, bytes);
  return target;
}

const language = (lang: Lang) => ({ lang, M: lang === 'ja' ? ja : en, locale: lang === 'ja' ? ('ja-JP' as const) : ('en-US' as const) });

/** The maintenance walk in `lang`, then the expiry-warning and import flows in the other language. */
export function defineAdminFlows(lang: Lang): void {
  const { M, locale } = language(lang);
  const other = lang === 'ja' ? en : ja;
  const secondLang: Lang = lang === 'ja' ? 'en' : 'ja';

  describe.skipIf(!chromiumAvailable)(`admin UI, walked in ${lang} (Chromium, bridge, real core)`, () => {
    let browser: Browser;
    let scratch: string;
    /** A backup of a certificate made by another store: for import and restore. */
    let otherBackup: string;
    let otherFingerprint: string;
    let otherStore: string;

    beforeAll(async () => {
      await ensureRendererBuilt();
      browser = await sharedChromium();
      scratch = await mkdtemp(path.join(os.tmpdir(), `cm-e2e-${lang}-`));
      otherStore = path.join(scratch, 'other-store');
      const made = await generateCertificate(fixtureContext(otherStore), { password: OTHER_PASSWORD, subject: 'previous-server.corp.example', keySize: 2048 });
      otherBackup = path.join(scratch, 'previous-server-backup.zip');
      await copyFile(made.backupPath, otherBackup);
      otherFingerprint = made.status.current!.fingerprintSha256;
    }, 120_000);

    describe('first run: generate a new certificate, then maintenance', () => {
      const step = flow();
      let s: AppSession;
      let page: Page;
      let backupZip = '';
      let fingerprint = '';
      let server: FleetServer | undefined;
      let sim: FleetSimulator | undefined;

      beforeAll(async () => {
        s = await openApp(browser, { locale });
        page = s.page;
        await recordProgress(page);
      });
      afterAll(async () => {
        sim?.close();
        await server?.close();
        await s?.close();
      });

      /** The UI's fleet numbers once they equal the core's (pushed by fleetChanged, no reload). */
      async function fleetShown(): Promise<FleetSummary> {
        const summary = await apiCall<FleetSummary>(page, 'fleetSummary');
        await poll(
          page,
          `(function () { var t = document.querySelector('[data-testid="fleet-total"]'); var ok = document.querySelector('[data-testid="fleet-current"]'); return !!t && !!ok && t.textContent.replace(/\\D/g, '') === ${JSON.stringify(String(summary.total))} && ok.textContent.replace(/\\D/g, '') === ${JSON.stringify(String(summary.states.current))}; })()`,
        );
        return summary;
      }

      step('shows the wizard in the OS language, focus on the heading', async () => {
        await page.locator('[data-testid="wizard"][data-step="welcome"]').waitFor();
        expect(await page.evaluate('document.documentElement.lang')).toBe(lang);
        expect(await text(page.locator('h1'))).toBe(M.wizard.welcome.heading);
        await waitFocus(page, 'h1');
        await shot(page, lang, '01-wizard-welcome');
      });

      step('is driven by keyboard: Tab to Next, Enter, choose with Space', async () => {
        await page.keyboard.press('Tab');
        expect(await focusedMatches(page, '[data-testid="wizard-next"]')).toBe(true);
        await page.keyboard.press('Enter');
        await page.locator('[data-testid="wizard"][data-step="method"]').waitFor();
        await waitFocus(page, '[data-testid="method-generate"]');
        // Enter without a choice: told to choose.
        await page.keyboard.press('Enter');
        await page.getByText(M.wizard.method.required).waitFor();
        await page.keyboard.press('Space');
        expect(await page.locator('[data-testid="method-generate"]').isChecked()).toBe(true);
        await page.getByText(M.wizard.method.generateTitle, { exact: true }).waitFor();
        await page.getByText(M.wizard.method.importTitle, { exact: true }).waitFor();
        await shot(page, lang, '02-wizard-method');
        await page.keyboard.press('Enter');
        await page.locator('[data-testid="wizard"][data-step="password"]').waitFor();
        await waitFocus(page, '#wizard-pw-new');
      });

      step('refuses a weak backup password, with the strength meter and the lost-password warning', async () => {
        await page.getByText(M.password.lostWarningTitle).waitFor();
        await page.getByLabel(M.password.label, { exact: true }).fill(WEAK);
        await page.getByLabel(M.password.confirmLabel, { exact: true }).fill(WEAK);
        await page.waitForSelector('[data-testid="strength-meter"][data-score="0"], [data-testid="strength-meter"][data-score="1"]');
        await page.getByLabel(M.password.confirmLabel, { exact: true }).press('Enter');
        await page.getByText(M.password.weak).waitFor();
        expect(await page.locator('[data-testid="wizard"]').getAttribute('data-step')).toBe('password');
        await shot(page, lang, '03-wizard-password-weak');
      });

      step('warns about Caps Lock and a mismatched confirmation', async () => {
        const field = page.getByLabel(M.password.label, { exact: true });
        await field.focus();
        // Headless Chromium has no Caps Lock state to toggle; send what Windows would report.
        const key = (type: string, caps: boolean) =>
          page.evaluate(`document.activeElement.dispatchEvent(new KeyboardEvent(${JSON.stringify(type)}, { key: 'A', bubbles: true, modifierCapsLock: ${caps} }))`);
        await key('keydown', true);
        await page.getByText(M.password.capsLock).waitFor({ timeout: 30_000 });
        await key('keyup', false);
        await page.getByText(M.password.capsLock).waitFor({ state: 'detached', timeout: 30_000 });
        await field.fill(STRONG);
        await page.getByLabel(M.password.confirmLabel, { exact: true }).fill(`${STRONG}x`);
        await page.waitForSelector('[data-testid="strength-meter"][data-score="4"], [data-testid="strength-meter"][data-score="3"]');
        await page.getByLabel(M.password.confirmLabel, { exact: true }).press('Enter');
        await page.getByText(M.password.mismatch).waitFor();
        await shot(page, lang, '04-wizard-password-strong-mismatch');
      });

      step('does not keep a typed password when the admin switches to the other way in', async () => {
        await page.locator('[data-testid="wizard-back"]').click();
        await page.locator('[data-testid="wizard"][data-step="method"]').waitFor();
        await page.locator('[data-testid="method-import"]').check();
        await page.locator('[data-testid="method-generate"]').check();
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="wizard"][data-step="password"]').waitFor();
        expect(await page.getByLabel(M.password.label, { exact: true }).inputValue()).toBe('');
        expect(await page.getByLabel(M.password.confirmLabel, { exact: true }).inputValue()).toBe('');
        await page.getByLabel(M.password.label, { exact: true }).fill(STRONG);
      });

      step('generates with a strong password, showing progress with the button disabled', async () => {
        await page.getByLabel(M.password.confirmLabel, { exact: true }).fill(STRONG);
        const release = s.holdNewKeys();
        try {
          await page.getByLabel(M.password.confirmLabel, { exact: true }).press('Enter');
          await page.locator('[data-testid="wizard"][data-step="generating"]').waitFor();
          expect(await page.locator('[data-testid="wizard-next"]').isDisabled()).toBe(true);
          expect(await page.locator('[data-testid="wizard-back"]').isDisabled()).toBe(true);
          await shot(page, lang, '05-wizard-generating');
        } finally {
          release();
        }
        await page.locator('[data-testid="wizard"][data-step="done"]').waitFor({ timeout: 60_000 });
        const events = await progressEvents(page);
        expect(events.filter((e) => e.operation === 'generate').map((e) => e.step)).toEqual(expect.arrayContaining(['generating-key', 'done']));
        const status = await apiCall<{ hasCertificate: boolean; current: { fingerprintSha256: string } }>(page, 'getStatus');
        expect(status.hasCertificate).toBe(true);
        fingerprint = status.current.fingerprintSha256;
        expect(await page.locator('[data-testid="fingerprint"]').getAttribute('data-value')).toBe(fingerprint);
        await page.getByText(M.wizard.done.heading).waitFor();
      });

      step('backs up from the summary ("Back up now")', async () => {
        backupZip = path.join(s.files, 'first-backup.zip');
        s.queueSave(backupZip);
        await page.locator('[data-testid="backup-now"]').click();
        await page.locator('[data-testid="backup-done"]').waitFor({ timeout: 30_000 });
        expect((await stat(backupZip)).size).toBeGreaterThan(1000);
        await shot(page, lang, '06-wizard-done');
      });

      step('opens the dashboard: certificate, countdown, fleet, copyable fingerprint', async () => {
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="dashboard"]').waitFor();
        await page.locator('[data-testid="certificate-card"][data-status="valid"]').waitFor();
        expect(await text(page.locator('[data-testid="cert-status"]'))).toBe(M.cert.statusValid);
        expect(await text(page.locator('[data-testid="countdown"]'))).toMatch(lang === 'ja' ? /有効期限まで残り \d+ 日/ : /Expires in \d+ d/);
        await page.locator('[data-testid="fleet-total"]').waitFor();
        expect(await page.locator('[data-testid="certificate-card"] [data-testid="fingerprint"]').getAttribute('data-value')).toBe(fingerprint);
        await page.locator('[data-testid="certificate-card"]').getByRole('button', { name: M.cert.copyFingerprint }).click();
        await page.locator('[data-testid="certificate-card"]').getByText(M.common.copied).waitFor();
        expect(await page.evaluate('navigator.clipboard.readText()')).toBe(fingerprint.toUpperCase());
        await shot(page, lang, '07-dashboard', { fullPage: true });
      });

      step('shows agents checking in, live (fleetChanged), and their auth failures', async () => {
        const current = Buffer.from((await readStore(s.dataDir))!.state.current.certificateDer, 'base64');
        const stale = Buffer.from((await readStore(path.join(scratch, 'other-store')))!.state.current.certificateDer, 'base64');
        server = await startFleetServer({ dataDir: s.dataDir, port: 0, storePollMs: 100, flushDelayMs: 50 });
        sim = new FleetSimulator({ serverUrl: server.url, feedUrl: server.feedUrl, count: 24, certificate: current, idPrefix: 'pc-', maxSockets: 8 });
        // Three agents were set up with another server's certificate: they refuse this server.
        for (let i = 1; i <= 3; i++) sim.add(`stale-${i}`, stale);
        await sim.runAll({ upload: 'force' });
        await sim.runAll({ upload: 'force' });
        await server.registry.flush();
        const summary = await fleetShown();
        // The three never verified a head of this server and recorded why: refusing.
        expect(summary).toEqual({ total: 27, trustingCurrent: 24, withoutValidCertificate: 3, states: { current: 24, migrating: 0, stale: 0, refusing: 3 } });
        // A large history, as the log-intake endpoint stores it: 100,000 records.
        const reasons = ['untrusted-key', 'bad-signature', 'expired', 'replayed'];
        const kinds = ['notification', 'endpoint-response', 'settings', 'hotfix'];
        const start = Date.now() - 30 * 86_400_000;
        const history = Array.from({ length: 100_000 }, (_, i) => ({
          id: `seed-${i}`,
          agentId: `pc-${String(i % 24).padStart(2, '0')}`,
          time: new Date(start + i * 25_000).toISOString(),
          messageKind: kinds[i % 4]!,
          reason: reasons[(i >> 2) % 4]!,
          fingerprintSeen: i % 3 === 0 ? null : stale.length ? '9f'.repeat(32) : null,
          detail: null,
        }));
        await server.failures.append(history, new Date());
        await page.getByText(M.dashboard.fleetSomeBad.replace('{{count}}', '3')).waitFor();
        await shot(page, lang, '07-dashboard-agents', { fullPage: true });
      }, 60_000);

      step('backs up from the Backup dialog; Esc closes a dialog; focus is trapped inside', async () => {
        await page.locator('[data-testid="task-backup"]').click();
        const dialog = page.locator('[data-testid="backup-dialog"]');
        await dialog.waitFor();
        // The dialog starts where the admin starts: choosing where the backup goes.
        await waitFocus(page, '[data-testid="backup-dialog"] [data-testid="choose-destination"]');
        // Tab many times: focus never leaves the modal dialog.
        for (let i = 0; i < 12; i++) {
          await page.keyboard.press('Tab');
          expect(await page.evaluate(`!!document.activeElement.closest('[data-testid="backup-dialog"]')`)).toBe(true);
        }
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
        await page.locator('[data-testid="task-backup"]').click();
        await dialog.waitFor();
        // Submit without a destination: told to choose one.
        await dialog.getByLabel(M.password.label, { exact: true }).fill(STRONG);
        await dialog.getByLabel(M.password.confirmLabel, { exact: true }).fill(STRONG);
        await dialog.getByLabel(M.password.confirmLabel, { exact: true }).press('Enter');
        await dialog.getByText(M.backup.destinationRequired).waitFor();
        const target = path.join(s.files, 'dialog-backup.zip');
        s.queueSave(target);
        await dialog.locator('[data-testid="choose-destination"]').click();
        await dialog.getByText('dialog-backup.zip').first().waitFor();
        await shot(page, lang, '08-backup-form');
        await dialog.locator('[data-testid="dialog-submit"]').click();
        await dialog.locator('[data-testid="backup-done"]').waitFor({ timeout: 30_000 });
        expect((await stat(target)).size).toBeGreaterThan(1000);
        await shot(page, lang, '09-backup-done');
        await dialog.locator('[data-testid="dialog-close"]').click();
        await dialog.waitFor({ state: 'detached' });
      });

      step('restore: a WRONG password, then a DAMAGED backup, are refused with what to do next', async () => {
        await page.locator('[data-testid="task-restore"]').click();
        const dialog = page.locator('[data-testid="restore-dialog"]');
        await dialog.waitFor();
        s.queueOpen(otherBackup);
        await dialog.locator('[data-testid="choose-file"]').click();
        await waitFocus(page, '#restore-password');
        await page.keyboard.type('not-the-password');
        await page.keyboard.press('Enter');
        const error = dialog.locator('[data-testid="error"]');
        await error.waitFor({ timeout: 30_000 });
        expect(await error.getAttribute('data-code')).toBe('WRONG_PASSWORD');
        expect(await text(error)).toContain(M.errors.code.WRONG_PASSWORD);
        await waitFocus(page, '#restore-password');
        await shot(page, lang, '10-restore-wrong-password');

        const damaged = await damagedCopy(otherBackup, path.join(s.files, 'damaged-backup.zip'));
        s.queueOpen(damaged);
        await dialog.locator('[data-testid="choose-file"]').click();
        await dialog.getByText('damaged-backup.zip').first().waitFor();
        await dialog.getByLabel(M.password.fileLabel, { exact: true }).fill(OTHER_PASSWORD);
        await dialog.locator('[data-testid="dialog-submit"]').click();
        await poll(page, `(function () { var e = document.querySelector('[data-testid="restore-dialog"] [data-testid="error"]'); return !!e && e.getAttribute('data-code') !== 'WRONG_PASSWORD'; })()`, 30_000);
        const code = (await error.getAttribute('data-code')) ?? '';
        expect(code).toMatch(/^(BACKUP_|PKCS12_)/);
        expect(await text(error)).toContain(code.startsWith('BACKUP_') ? M.errors.code.BACKUP : M.errors.code.PKCS12);
        await shot(page, lang, '11-restore-damaged');
      });

      step('restore: verifies first, compares fingerprints side by side, then restores', async () => {
        const dialog = page.locator('[data-testid="restore-dialog"]');
        s.queueOpen(otherBackup);
        await dialog.locator('[data-testid="choose-file"]').click();
        await dialog.getByText(path.basename(otherBackup)).first().waitFor();
        await dialog.getByLabel(M.password.fileLabel, { exact: true }).fill(OTHER_PASSWORD);
        await dialog.locator('[data-testid="dialog-submit"]').click();
        const compare = dialog.locator('[data-testid="compare"]');
        await compare.waitFor({ timeout: 30_000 });
        const shown = await compare.locator('[data-testid="fingerprint"]').evaluateAll((nodes) => nodes.map((n) => n.getAttribute('data-value')));
        expect(shown).toEqual([fingerprint, otherFingerprint]);
        await dialog.getByText(M.restore.differentWarning).waitFor();
        // A certificate for another host: named in words, and restored only once the admin says so.
        const risks = dialog.locator('[data-testid="restore-risks"]');
        expect(await risks.locator('[data-risk="other-host"]').textContent()).toContain('previous-server.corp.example');
        await shot(page, lang, '12-restore-compare');
        await dialog.locator('[data-testid="dialog-confirm"]').click();
        await dialog.getByText(M.restore.risk.acknowledgeRequired).waitFor();
        await waitFocus(page, '[data-testid="restore-acknowledge"]');
        expect((await apiCall<{ current: { fingerprintSha256: string } }>(page, 'getStatus')).current.fingerprintSha256).toBe(fingerprint);
        await dialog.locator('[data-testid="restore-acknowledge"]').check();
        await dialog.locator('[data-testid="dialog-confirm"]').click();
        await dialog.locator('[data-testid="restore-done"]').waitFor({ timeout: 30_000 });
        const status = await apiCall<{ current: { fingerprintSha256: string; source: string } }>(page, 'getStatus');
        expect(status.current.fingerprintSha256).toBe(otherFingerprint);
        expect(status.current.source).toBe('restored');
        await shot(page, lang, '13-restore-done');
        await dialog.locator('[data-testid="dialog-close"]').click();
        await dialog.waitFor({ state: 'detached' });
        expect(await page.locator('[data-testid="certificate-card"] [data-testid="fingerprint"]').getAttribute('data-value')).toBe(otherFingerprint);
        fingerprint = otherFingerprint;
      });

      step('renews with a new password, then shows agents moving to the new certificate', async () => {
        await page.locator('[data-testid="task-renew"]').click();
        const dialog = page.locator('[data-testid="renew-dialog"]');
        await dialog.waitFor();
        await dialog.getByLabel(M.password.newLabel, { exact: true }).fill(STRONG_2);
        await dialog.getByLabel(M.password.newConfirmLabel, { exact: true }).fill(STRONG_2);
        await page.waitForSelector('[data-testid="renew-dialog"] [data-testid="strength-meter"][data-score="4"], [data-testid="renew-dialog"] [data-testid="strength-meter"][data-score="3"]');
        await shot(page, lang, '14-renew-form');
        await dialog.getByLabel(M.password.newConfirmLabel, { exact: true }).press('Enter');
        // Asked once, with what renewing does; then the button cannot be pressed twice while the work runs.
        await dialog.getByText(M.renew.confirmTrust).waitFor();
        await dialog.locator('[data-testid="dialog-confirm"]').click();
        await poll(page, `(function () { var b = document.querySelector('[data-testid="renew-dialog"] [data-testid="dialog-confirm"]'); return !b || b.disabled; })()`);
        await dialog.locator('[data-testid="renew-done"]').waitFor({ timeout: 60_000 });
        await dialog.locator('[data-testid="renew-migration"]').waitFor();
        const status = await apiCall<{ current: { fingerprintSha256: string; source: string }; replaced: unknown[] }>(page, 'getStatus');
        expect(status.current.source).toBe('renewed');
        expect(status.current.fingerprintSha256).not.toBe(fingerprint);
        fingerprint = status.current.fingerprintSha256;
        const events = await progressEvents(page);
        expect(events.some((e) => e.operation === 'renew' && e.step === 'done' && e.fraction === 1)).toBe(true);
        // Agents follow the rotation at their next cycle; the dialog shows them moving, live.
        await server!.poll();
        // poll() returns once the renewal it (or the timer's poll under way) found is served.
        expect(server!.snapshot().fingerprintSha256).toBe(fingerprint);
        const progress = dialog.locator('[data-testid="renew-fleet-progress"]');
        const shown = async () => {
          const summary = await apiCall<{ total: number; trustingCurrent: number }>(page, 'fleetSummary');
          const expected = M.renew.fleetProgress.replace('{{done}}', String(summary.trustingCurrent)).replace('{{total}}', String(summary.total));
          await poll(page, `(function () { var p = document.querySelector('[data-testid="renew-fleet-progress"]'); return !!p && p.textContent.trim() === ${JSON.stringify(expected)}; })()`);
          return summary;
        };
        await sim!.runAll({}, (a) => a.name < 'pc-12');
        await server!.registry.flush();
        const half = await shown();
        expect(half.trustingCurrent).toBeGreaterThanOrEqual(12);
        expect(half.trustingCurrent).toBeLessThan(half.total);
        await progress.waitFor();
        await shot(page, lang, '15-renew-migrating');
        await sim!.runAll({}, (a) => a.name < 'pc-20');
        await server!.registry.flush();
        const later = await shown();
        expect(later.trustingCurrent).toBeGreaterThan(half.trustingCurrent);
        await dialog.locator('[data-testid="dialog-close"]').click();
        await dialog.waitFor({ state: 'detached' });
      });

      step('clients without a valid certificate: table, CSV export, agent certificate export, fix steps', async () => {
        await page.locator('[data-testid="task-clients"]').click();
        const dialog = page.locator('[data-testid="clients-dialog"]');
        await dialog.waitFor();
        await dialog.locator('[data-testid="clients-table"]').waitFor();
        // Every row shows its state in words; the fix steps are there because some agents need them
        // (the three set up with another server's certificate refuse this one's messages).
        const page1 = await apiCall<{ agents: { state: string }[]; states: { stale: number; refusing: number } }>(page, 'clientsWithoutValidCertificate', { offset: 0, limit: 25 });
        expect(page1.states.refusing).toBeGreaterThanOrEqual(3);
        await expect.poll(() => dialog.locator('[data-testid="agent-state"]').allTextContents()).toEqual(page1.agents.map((a) => M.states[a.state as keyof typeof M.states]));
        expect(await text(dialog.locator('[data-testid="fix-command"]'))).toBe('certificatemanager agent import-cert <cer> --state <dir>');
        const cer = path.join(s.files, 'agent.cer');
        s.queueSave(cer);
        await dialog.locator('[data-testid="export-cert"]').click();
        await dialog.locator('[data-testid="clients-notice"]').waitFor({ timeout: 30_000 });
        expect((await stat(cer)).size).toBeGreaterThan(500);
        const total = (await apiCall<{ total: number }>(page, 'clientsWithoutValidCertificate', { offset: 0, limit: 1 })).total;
        if (total > 0) {
          const csv = path.join(s.files, 'clients.csv');
          s.queueSave(csv);
          await dialog.locator('[data-testid="export-csv"]').click();
          await poll(page, `document.querySelector('[data-testid="clients-notice"]').textContent.indexOf('clients.csv') >= 0`);
          // UTF-8 with a BOM (Excel), the stable columns, then the app's language.
          const written = await readFile(csv, 'utf8');
          expect(written.startsWith('\uFEFFagent id,fingerprint trusted,last check-in,last failure reason,host name,')).toBe(true);
          expect(written.split('\r\n')[0]!.endsWith(`,last failure at,state,${M.clients.csvLastCheckIn},${M.clients.csvLastFailure},${M.clients.csvReason},${M.clients.csvState}`)).toBe(true);
          // Each row names its state, by code and in the app's language.
          const firstRow = written.split('\r\n')[1]!;
          const state = (await apiCall<{ agents: { state: 'migrating' | 'stale' | 'refusing' }[] }>(page, 'clientsWithoutValidCertificate', { offset: 0, limit: 1 })).agents[0]!.state;
          expect(firstRow).toContain(`,${state},`);
          expect(firstRow.endsWith(`,${M.states[state]}`)).toBe(true);
        } else {
          expect(await dialog.locator('[data-testid="export-csv"]').isDisabled()).toBe(true);
          await dialog.getByText(M.clients.empty).waitFor();
        }
        await shot(page, lang, '16-clients');
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
      });

      step('auth-failure logs: filters by agent, reason and time range, with server-side paging', async () => {
        await page.locator('[data-testid="task-logs"]').click();
        const dialog = page.locator('[data-testid="logs-dialog"]');
        await dialog.waitFor();
        await dialog.locator('[data-testid="logs-table"]').waitFor();
        // Dates are typed the way the app's language writes them, not the browser's mm/dd/yyyy.
        expect(await dialog.getByLabel(M.logs.from, { exact: true }).getAttribute('placeholder')).toBe(M.logs.dateExample);
        await dialog.getByLabel(M.logs.from, { exact: true }).fill(lang === 'ja' ? '２０２５／０２／３０' : '02/30/2025');
        await dialog.locator('[data-testid="logs-apply"]').click();
        await dialog.getByText(M.logs.dateInvalid).waitFor();
        // A range that ends before it starts is refused before any query.
        await dialog.getByLabel(M.logs.from, { exact: true }).fill(lang === 'ja' ? '2025/02/01 00:00' : '02/01/2025 00:00');
        await dialog.getByLabel(M.logs.to, { exact: true }).fill(lang === 'ja' ? '2025/01/01' : '01/01/2025');
        await dialog.locator('[data-testid="logs-apply"]').click();
        await dialog.getByText(M.logs.rangeInvalid).waitFor();
        expect(await dialog.locator('[data-testid="logs-date-error"]').count()).toBe(0);
        await dialog.getByLabel(M.logs.from, { exact: true }).fill('');
        await dialog.getByLabel(M.logs.to, { exact: true }).fill('');
        await dialog.locator('[data-testid="logs-apply"]').click();
        await poll(page, `!document.querySelector('[data-testid="logs-dialog"] #logs-range-error')`);
        const all = await apiCall<{ total: number; reasons: string[] }>(page, 'queryAuthFailures', { offset: 0, limit: 1 });
        expect(all.total).toBeGreaterThan(50);
        expect(all.total).toBeGreaterThanOrEqual(100_000);
        await poll(page, `document.querySelectorAll('[data-testid="logs-table"] tbody tr').length === 50`);
        await shot(page, lang, '17-logs');
        // Server-side paging through 100,000 records: turn pages (each one must arrive; poll bounds the wait).
        const range = dialog.locator('[data-testid="pager-range"]');
        for (let i = 0; i < 3; i++) {
          const before = await text(range);
          await dialog.locator('[data-testid="pager-next"]').click();
          await poll(page, `document.querySelector('[data-testid="pager-range"]').textContent.trim() !== ${JSON.stringify(before)}`);
        }
        expect(await text(range)).toMatch(/151/);
        // Filter by agent, reason and a time range around now.
        const pad = (n: number) => String(n).padStart(2, '0');
        const local = (d: Date) =>
          lang === 'ja'
            ? `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`
            : `${pad(d.getMonth() + 1)}/${pad(d.getDate())}/${d.getFullYear()} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
        // Agent ids are hashes of each agent's own key (#11): find stale-2's by its name.
        const staleId = sim!.agents.find((a) => a.name === 'stale-2')!.id;
        const staleReason = (await apiCall<{ records: Array<{ reason: string }> }>(page, 'queryAuthFailures', { offset: 0, limit: 1, agentId: staleId })).records[0]!.reason;
        expect(all.reasons).toContain(staleReason);
        await dialog.getByLabel(M.logs.agent, { exact: true }).fill(staleId);
        await dialog.locator('[data-testid="logs-reason"]').selectOption(staleReason);
        await dialog.getByLabel(M.logs.from, { exact: true }).fill(local(new Date(Date.now() - 3_600_000)));
        await dialog.getByLabel(M.logs.to, { exact: true }).fill(local(new Date(Date.now() + 3_600_000)));
        await dialog.getByLabel(M.logs.agent, { exact: true }).press('Enter');
        const filtered = await apiCall<{ total: number }>(page, 'queryAuthFailures', { offset: 0, limit: 1, agentId: staleId, reason: staleReason });
        expect(filtered.total).toBeGreaterThan(0);
        await poll(page, `(function () { var rows = document.querySelectorAll('[data-testid="logs-table"] tbody tr'); if (rows.length !== ${Math.min(filtered.total, 50)}) return false; for (var i = 0; i < rows.length; i++) if (rows[i].textContent.indexOf(${JSON.stringify(staleId.slice(0, 8))}) < 0) return false; return true; })()`);
        await shot(page, lang, '17-logs-filtered');
        await page.keyboard.press('Escape');
        await dialog.waitFor({ state: 'detached' });
      });

      step('settings: validates, saves, and switches the language at once', async () => {
        await page.locator('[data-testid="task-settings"]').click();
        const dialog = page.locator('[data-testid="settings-dialog"]');
        await dialog.waitFor();
        await shot(page, lang, '18-settings');
        await dialog.locator('[data-testid="settings-interval"]').fill('3');
        await dialog.locator('[data-testid="dialog-submit"]').click();
        await dialog.getByText(M.settings.outOfRange.replace('{{min}}', '5').replace('{{max}}', '1440')).waitFor();
        await dialog.locator('[data-testid="settings-interval"]').fill('30');
        await dialog.locator('[data-testid="settings-warning"]').fill('400');
        await dialog.locator('[data-testid="settings-interval"]').press('Enter');
        await dialog.getByText(M.settings.outOfRange.replace('{{min}}', '1').replace('{{max}}', '365')).waitFor();
        await dialog.locator('[data-testid="settings-warning"]').fill('45');
        const target = lang === 'ja' ? 'en' : 'ja';
        await dialog.locator('[data-testid="settings-language"]').selectOption(target);
        await dialog.locator('[data-testid="dialog-submit"]').click();
        await dialog.locator('[data-testid="settings-saved"]').waitFor();
        // The whole UI is now in the other language, without a reload.
        await poll(page, `document.documentElement.lang === ${JSON.stringify(target)}`);
        expect(await text(dialog.locator('h2'))).toBe(other.settings.title);
        expect(await text(dialog.locator('[data-testid="settings-saved"]'))).toBe(other.settings.savedMessage);
        const saved = await apiCall<{ logUploadIntervalMinutes: number; expiryWarningDays: number; language: string }>(page, 'getSettings');
        expect(saved).toEqual({ logUploadIntervalMinutes: 30, expiryWarningDays: 45, language: target });
        await shot(page, lang, '19-settings-switched');
        await dialog.locator('[data-testid="dialog-close"]').click();
        await dialog.waitFor({ state: 'detached' });
        await page.getByText(other.dashboard.tasksTitle, { exact: true }).waitFor();
        expect(await page.locator('[data-testid="task-logs"]').textContent()).toContain('30');
        await shot(page, lang, '20-dashboard-switched', { fullPage: true });
        // Dates in the logs now follow the switched language, not the page's OS locale: typed the
        // way it writes them (month first in English, year first in Japanese), a range that ends
        // before it starts is refused in its words.
        await page.locator('[data-testid="task-logs"]').click();
        const logs = page.locator('[data-testid="logs-dialog"]');
        await logs.locator('[data-testid="logs-table"]').waitFor();
        expect(await logs.getByLabel(other.logs.from, { exact: true }).getAttribute('placeholder')).toBe(other.logs.dateExample);
        await logs.getByLabel(other.logs.from, { exact: true }).fill(target === 'en' ? '02/01/2025 00:00' : '2025/02/01 00:00');
        await logs.getByLabel(other.logs.to, { exact: true }).fill(target === 'en' ? '01/01/2025' : '2025/01/01');
        await logs.locator('[data-testid="logs-apply"]').click();
        await logs.getByText(other.logs.rangeInvalid).waitFor();
        expect(await logs.locator('[data-testid="logs-date-error"]').count()).toBe(0);
        await page.keyboard.press('Escape');
        await logs.waitFor({ state: 'detached' });
      });

      step('keeps the language after a reload (setting wins over the OS locale)', async () => {
        await page.reload();
        await page.locator('[data-testid="dashboard"]').waitFor();
        expect(await page.evaluate('document.documentElement.lang')).toBe(lang === 'ja' ? 'en' : 'ja');
      });

      step('had no console errors and no CSP violations', () => {
        expect(s.problems).toEqual([]);
      });
    });

    describe(`dashboard: expiry warning, in ${secondLang}`, () => {
      const { lang, M, locale } = language(secondLang);
      const step = flow();
      let s: AppSession;

      beforeAll(async () => {
        s = await openApp(browser, { locale });
      });
      afterAll(async () => {
        await s?.close();
      });

      step('warns, with a Renew action, when the certificate expires within the warning period', async () => {
        const page = s.page;
        await page.locator('[data-testid="wizard"]').waitFor();
        // A certificate valid for 12 days (the wizard always uses the default validity).
        await apiCall(page, 'generate', { password: STRONG, validityDays: 12, keySize: 2048 });
        await page.reload();
        await page.locator('[data-testid="dashboard"]').waitFor();
        await page.locator('[data-testid="certificate-card"][data-status="expiring"]').waitFor();
        const banner = page.locator('[data-testid="expiry-banner"]');
        expect(await text(banner)).toContain(M.dashboard.expiringTitle.replace('{{days}}', '11'));
        expect(await text(page.locator('[data-testid="cert-status"]'))).toBe(M.cert.statusExpiring);
        await shot(page, lang, '26-dashboard-expiring', { fullPage: true });
        await banner.getByRole('button', { name: M.dashboard.renewNow }).click();
        await page.locator('[data-testid="renew-dialog"]').waitFor();
        await page.keyboard.press('Escape');
        await page.locator('[data-testid="renew-dialog"]').waitFor({ state: 'detached' });
        expect(s.problems).toEqual([]);
      });
    });

    describe(`first run: import an existing certificate, in ${secondLang}`, () => {
      const { lang, M, locale } = language(secondLang);
      const step = flow();
      let s: AppSession;
      let page: Page;

      beforeAll(async () => {
        s = await openApp(browser, { locale });
        page = s.page;
      });
      afterAll(async () => {
        await s?.close();
      });

      step('chooses import, requires a file, refuses a wrong password and a damaged file', async () => {
        await page.locator('[data-testid="wizard"][data-step="welcome"]').waitFor();
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="method-import"]').check();
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="wizard"][data-step="file"]').waitFor();
        await page.locator('[data-testid="wizard-next"]').click();
        await page.getByText(M.wizard.file.fileRequired).waitFor();
        await waitFocus(page, '#import-file');
        await shot(page, lang, '21-import-file-required');

        s.queueOpen(otherBackup);
        await page.locator('[data-testid="choose-file"]').click();
        await waitFocus(page, '#import-password');
        await page.keyboard.type('wrong-password-here');
        await page.keyboard.press('Enter');
        const error = page.locator('[data-testid="error"]');
        await error.waitFor({ timeout: 30_000 });
        expect(await error.getAttribute('data-code')).toBe('WRONG_PASSWORD');
        await shot(page, lang, '22-import-wrong-password');

        const damaged = await damagedCopy(otherBackup, path.join(s.files, 'damaged.zip'));
        s.queueOpen(damaged);
        await page.locator('[data-testid="choose-file"]').click();
        await page.getByText('damaged.zip').first().waitFor();
        await page.getByLabel(M.password.fileLabel, { exact: true }).fill(OTHER_PASSWORD);
        await page.keyboard.press('Enter');
        await poll(page, `(function () { var e = document.querySelector('[data-testid="error"]'); return !!e && e.getAttribute('data-code') !== 'WRONG_PASSWORD'; })()`, 30_000);
        expect((await error.getAttribute('data-code')) ?? '').toMatch(/^(BACKUP_|PKCS12_)/);
        await shot(page, lang, '23-import-damaged');
      });

      step('shows what will be imported before confirming, then imports', async () => {
        s.queueOpen(otherBackup);
        await page.locator('[data-testid="choose-file"]').click();
        await page.getByText(path.basename(otherBackup)).first().waitFor();
        await page.getByLabel(M.password.fileLabel, { exact: true }).fill(OTHER_PASSWORD);
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="wizard"][data-step="review"]').waitFor({ timeout: 30_000 });
        const inspection = page.locator('[data-testid="inspection"]');
        expect(await inspection.locator('[data-testid="fingerprint"]').getAttribute('data-value')).toBe(otherFingerprint);
        expect(await text(inspection.locator('[data-testid="cert-subject"]'))).toBe('previous-server.corp.example');
        await inspection.locator('[data-testid="cert-not-after"]').waitFor();
        expect(await apiCall<{ hasCertificate: boolean }>(page, 'getStatus')).toMatchObject({ hasCertificate: false });
        await shot(page, lang, '24-import-review');

        // Another file is put in its place after the admin reviewed it: the import is refused and
        // nothing is installed; with the reviewed file back, it goes through.
        const reviewed = await readFile(otherBackup);
        const elsewhere = await renewCertificate(fixtureContext(otherStore), { password: OTHER_PASSWORD, keySize: 2048 });
        await copyFile(elsewhere.backupPath, otherBackup);
        await page.locator('[data-testid="wizard-next"]').click();
        const changed = page.locator('[data-testid="error"]');
        await changed.waitFor({ timeout: 30_000 });
        expect(await changed.getAttribute('data-code')).toBe('BACKUP_CHANGED');
        expect(await apiCall<{ hasCertificate: boolean }>(page, 'getStatus')).toMatchObject({ hasCertificate: false });
        await writeFile(otherBackup, reviewed);

        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="wizard"][data-step="done"]').waitFor({ timeout: 30_000 });
        await page.getByText(M.wizard.done.importedBody).waitFor();
        await shot(page, lang, '25-import-done');
        await page.locator('[data-testid="wizard-next"]').click();
        await page.locator('[data-testid="dashboard"]').waitFor();
        expect(await page.locator('[data-testid="certificate-card"] [data-testid="fingerprint"]').getAttribute('data-value')).toBe(otherFingerprint);
      });

      step('had no console errors and no CSP violations', () => {
        expect(s.problems).toEqual([]);
      });
    });
  });
}
