/**
 * The app's main process serves the contract from core/api/service.ts. The fleet code (agent
 * records, auth-failure logs, their watcher) loads only when a screen first asks for fleet
 * figures: the first-run wizard never does. Checked in a real Node process on the compiled
 * dist/ (as the app runs it), with a module-resolution hook recording what was loaded.
 */
import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { tempDir } from '../helpers/temp.js';
import { writeModuleLogHook } from '../helpers/module-log.js';
import { storeWithCertificate } from '../helpers/fixtures.js';

const SERVICE = pathToFileURL(fileURLToPath(new URL('../../dist/core/api/service.js', import.meta.url))).href;

describe('the fleet code loads when a screen first needs it', () => {
  it('not for the wizard or status; on the first fleet call; the watcher then pushes fleetChanged', async () => {
    const dir = await tempDir('cm-lazy-fleet-');
    const dataDir = join(dir, 'data');
    await storeWithCertificate(dataDir, 'a long backup password');
    const register = writeModuleLogHook(dir);
    const log = join(dir, 'modules.log');
    writeFileSync(log, '');
    // The script marks the log between steps, so each step's loads can be told apart.
    const script = `
      import { appendFileSync } from 'node:fs';
      const mark = (m) => appendFileSync(process.env.CM_MODULE_LOG, '#' + m + '\\n');
      const { createApiHandlers, startFleetEvents } = await import(${JSON.stringify(SERVICE)});
      const events = [];
      const emit = (event, payload) => events.push(event);
      const dataDir = ${JSON.stringify(dataDir)};
      const handlers = createApiHandlers({ dataDir, emit, dialogs: {}, appInfo: { version: '0', locale: 'en', platform: 'linux' }, iterations: 1000 });
      const watch = startFleetEvents({ dataDir, emit });
      await handlers.getStatus({});
      await handlers.appInfo({});
      await new Promise((r) => setTimeout(r, 50));
      mark('before-fleet');
      const summary = await handlers.fleetSummary({});
      mark('after-fleet');
      await new Promise((r) => setTimeout(r, 300));
      // A renewal changes the store's CURRENT, which the fleet watcher follows.
      await handlers.renew({ password: 'another long backup password', keySize: 2048 });
      // Up to 30 s (the watcher polls every second; a busy machine may be slow to get there).
      for (let i = 0; i < 300 && !events.includes('fleetChanged'); i++) await new Promise((r) => setTimeout(r, 100));
      watch.close();
      console.log(JSON.stringify({ total: summary.total, events }));
    `;
    const run = spawnSync(process.execPath, ['--import', register, '--input-type=module', '-e', script], {
      env: { ...process.env, CM_MODULE_LOG: log },
      encoding: 'utf8',
    });
    expect(run.status, run.stderr).toBe(0);
    const lines = readFileSync(log, 'utf8').split('\n');
    const before = lines.slice(0, lines.indexOf('#before-fleet'));
    const during = lines.slice(lines.indexOf('#before-fleet'), lines.indexOf('#after-fleet'));
    expect(before.filter((url) => url.includes('/dist/core/fleet/'))).toEqual([]);
    // The HTTP server (Fastify) is `serve`'s alone: the app's fleet screens read the store.
    expect(lines.filter((url) => /\/node_modules\/@?fastify\//.test(url))).toEqual([]);
    expect(during.some((url) => url.endsWith('/dist/core/fleet/service.js'))).toBe(true);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!);
    expect(out.total).toBe(0);
    expect(out.events).toContain('fleetChanged');
  }, 60_000);
});
