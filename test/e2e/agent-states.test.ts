/**
 * Issue #11, finding 3, in the app: right after a renewal, agents that simply have not polled
 * yet are shown as migrating, not as broken, and get no manual-fix steps; an agent that refuses
 * this server's messages next to them brings the steps back. Chromium against the real core,
 * with the agents.json that `serve` writes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { generateCertificate, renewCertificate } from '../../core/ops/index.js';
import { AGENTS_FORMAT } from '../../core/fleet/agents.js';
import { fleetPaths } from '../../core/fleet/paths.js';
import { readStore } from '../../core/store/store.js';
import { fingerprintSha256 } from '../../core/trust/index.js';
import type { AgentRecord } from '../../core/schemas.js';
import en from '../../renderer/src/i18n/en.js';
import ja from '../../renderer/src/i18n/ja.js';
import { chromiumAvailable, ensureRendererBuilt, sharedChromium, openApp, shot, type Lang } from './harness.js';
import { fixtureContext } from '../helpers/fixtures.js';

const PASSWORD = 'Maple-Orbit-Cactus-Lantern-42';

const fingerprintOf = async (dataDir: string) => fingerprintSha256(Buffer.from((await readStore(dataDir))!.state.current.certificateDer, 'base64'));

describe.skipIf(!chromiumAvailable)('agent states after a renewal (Chromium, real core)', () => {
  let browser: Browser;
  let scratch: string;

  beforeAll(async () => {
    await ensureRendererBuilt();
    browser = await sharedChromium();
    scratch = await mkdtemp(path.join(os.tmpdir(), 'cm-e2e-states-'));
  }, 180_000);

  afterAll(async () => {
    await rm(scratch, { recursive: true, force: true });
  });

  for (const lang of ['en', 'ja'] as Lang[]) {
    it(`${lang}: agents that have not polled yet are migrating, with no fix steps; a refusing one brings them back`, async () => {
      const M = lang === 'ja' ? ja : en;
      const dataDir = path.join(scratch, `store-${lang}`);
      const context = fixtureContext(dataDir);
      await generateCertificate(context, { password: PASSWORD, keySize: 2048 });
      const old = await fingerprintOf(dataDir);
      const checkedInBefore = new Date(Date.now() - 60_000).toISOString();
      const agent = (agentId: string, over: Partial<AgentRecord> = {}): AgentRecord => ({
        agentId,
        hostname: `pc-${agentId}`,
        trustedFingerprint: old,
        agentVersion: '1.0.0',
        lastCheckIn: checkedInBefore,
        lastFailureReason: null,
        lastFailureAt: null,
        lastHead: { seq: 1, verifiedAt: checkedInBefore, lifetimeSeconds: 86_400 },
        ...over,
      });
      const writeAgents = async (agents: AgentRecord[]) => {
        await mkdir(fleetPaths(dataDir).dir, { recursive: true });
        await writeFile(fleetPaths(dataDir).agents, JSON.stringify({ format: AGENTS_FORMAT, agents }));
      };
      await writeAgents([agent('a1'), agent('a2'), agent('a3')]);
      await renewCertificate(context, { password: PASSWORD, keySize: 2048 });

      const s = await openApp(browser, { locale: lang === 'ja' ? 'ja-JP' : 'en-US', dataDir });
      try {
        const page = s.page;
        // The dashboard counts them as moving, not as without a valid certificate.
        await page.locator('[data-testid="fleet-migrating"]').waitFor();
        expect((await page.locator('[data-testid="fleet-migrating"]').textContent())!.trim()).toBe('3');
        expect((await page.locator('[data-testid="fleet-without"]').textContent())!.trim()).toBe('0');
        await page.getByText(M.dashboard.fleetOnlyMigrating.replace('{{count}}', '3')).waitFor();

        await page.locator('[data-testid="task-clients"]').click();
        const dialog = page.locator('[data-testid="clients-dialog"]');
        await dialog.locator('[data-testid="clients-only-migrating"]').waitFor();
        expect(await dialog.locator('[data-testid="agent-state"]').allTextContents()).toEqual([M.states.migrating, M.states.migrating, M.states.migrating]);
        expect(await dialog.locator('[data-testid="fix-steps"]').count()).toBe(0);
        await shot(page, lang, 'clients-migrating');

        // One agent refuses this server's messages: it is listed first, and the steps are back.
        await writeAgents([agent('a1'), agent('a2'), agent('a3', { lastFailureReason: 'untrusted-key', lastFailureAt: new Date().toISOString() })]);
        await dialog.locator('[data-testid="fix-steps"]').waitFor({ timeout: 15_000 });
        expect(await dialog.locator('[data-testid="agent-state"]').allTextContents()).toEqual([M.states.refusing, M.states.migrating, M.states.migrating]);
        expect(await dialog.locator('[data-testid="clients-only-migrating"]').count()).toBe(0);
      } finally {
        await s.close();
      }
    }, 120_000);
  }
});
