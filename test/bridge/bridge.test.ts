// The test-only HTTP bridge, over real HTTP on 127.0.0.1: its transport rules, and every contract
// operation reachable through it against the real core on a temp data directory.
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OPERATION_KEYS, type OperationKey, type Result } from '../../core/api/contract.js';
import { BRIDGE_CSP, injectClientScript, startBridge, type Bridge } from './bridge.js';
import { FIXTURE_STRENGTH } from '../helpers/fixtures.js';
import { decodePkcs12 } from '../../core/pki/pkcs12/index.js';

const tmp = (prefix: string) => mkdtemp(path.join(os.tmpdir(), prefix));

async function call(bridge: Bridge, key: string, body: unknown, init: { token?: string | null; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...init.headers };
  const token = init.token === undefined ? bridge.token : init.token;
  if (token !== null) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${bridge.url}/api/${key}`, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: response.status, body: (await response.json()) as Result<unknown> };
}

/** Raw request, for headers fetch will not let us set (Host) or paths it would normalise. */
function raw(bridge: Bridge, options: { method?: string; path: string; headers?: Record<string, string>; body?: string }) {
  const { port } = new URL(bridge.url);
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('bridge transport', () => {
  let bridge: Bridge;
  let rendererDir: string;
  beforeAll(async () => {
    rendererDir = await tmp('cm-bridge-renderer-');
    await mkdir(path.join(rendererDir, 'assets'));
    await writeFile(
      path.join(rendererDir, 'index.html'),
      '<!doctype html><html><head><meta charset="utf-8"><script type="module" crossorigin src="/assets/index.js"></script><link rel="stylesheet" href="/assets/index.css"></head><body></body></html>',
    );
    await writeFile(path.join(rendererDir, 'assets', 'index.js'), 'document.body.dataset.app = "1";');
    bridge = await startBridge({ dataDir: await tmp('cm-bridge-data-'), rendererDir, log: () => {}, ...FIXTURE_STRENGTH });
  });
  afterAll(() => bridge?.close());

  it('listens on 127.0.0.1 with a 32-byte random token', () => {
    expect(new URL(bridge.url).hostname).toBe('127.0.0.1');
    expect(bridge.token).toMatch(/^[0-9a-f]{64}$/);
  });

  it('requires the token', async () => {
    expect((await call(bridge, 'appInfo', {}, { token: null })).status).toBe(401);
    expect((await call(bridge, 'appInfo', {}, { token: 'f'.repeat(64) })).status).toBe(401);
    expect((await call(bridge, 'appInfo', {}, { token: bridge.token.slice(1) })).status).toBe(401);
    const ok = await call(bridge, 'appInfo', {});
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ ok: true, value: { dataDir: bridge.dataDir } });
  });

  it('answers an unknown operation with 404 and a Result error', async () => {
    for (const key of ['nope', '__proto__', 'constructor']) {
      const r = await call(bridge, key, {});
      expect(r.status).toBe(404);
      expect(r.body).toMatchObject({ ok: false, error: { code: 'UNKNOWN_OPERATION' } });
    }
  });

  it('answers bad bodies with 400 and a Result error, through the same validation as IPC', async () => {
    expect(await call(bridge, 'appInfo', '{not json')).toMatchObject({ status: 400, body: { ok: false, error: { code: 'INVALID_JSON' } } });
    expect(await call(bridge, 'appInfo', { extra: true })).toMatchObject({ status: 400, body: { ok: false, error: { kind: 'usage', code: 'INVALID_REQUEST' } } });
    expect(await call(bridge, 'generate', { password: '' })).toMatchObject({ status: 400, body: { ok: false, error: { code: 'INVALID_REQUEST', details: { field: 'password' } } } });
    expect(await call(bridge, 'getStatus', 'null')).toMatchObject({ status: 400, body: { ok: false } });
  });

  it('refuses other methods, media types, huge bodies, foreign origins and foreign Host headers', async () => {
    const auth = { Authorization: `Bearer ${bridge.token}` };
    expect((await raw(bridge, { path: '/api/appInfo', headers: auth })).status).toBe(405);
    expect((await raw(bridge, { method: 'POST', path: '/api/appInfo', headers: { ...auth, 'Content-Type': 'text/plain' }, body: '{}' })).status).toBe(415);
    const huge = JSON.stringify({ password: 'x'.repeat(2 * 1024 * 1024) });
    expect((await raw(bridge, { method: 'POST', path: '/api/generate', headers: { ...auth, 'Content-Type': 'application/json' }, body: huge }).catch(() => ({ status: 413 }))).status).toBe(413);
    expect((await call(bridge, 'appInfo', {}, { headers: { Origin: 'https://evil.example' } })).status).toBe(403);
    expect((await call(bridge, 'appInfo', {}, { headers: { Origin: bridge.url } })).status).toBe(200);
    const rebound = await raw(bridge, { method: 'POST', path: '/api/appInfo', headers: { ...auth, Host: 'evil.example', 'Content-Type': 'application/json' }, body: '{}' });
    expect(rebound.status).toBe(421);
  });

  it('serves the renderer with the client injected before the app’s script, under a CSP', async () => {
    expect((await raw(bridge, { path: '/' })).status).toBe(401);
    const page = await raw(bridge, { path: `/?token=${bridge.token}` });
    expect(page.status).toBe(200);
    expect(page.headers['content-security-policy']).toBe(BRIDGE_CSP);
    expect(BRIDGE_CSP).toContain("script-src 'self'");
    const client = page.body.indexOf('<script src="/__bridge-client.js"');
    expect(client).toBeGreaterThan(-1);
    expect(client).toBeLessThan(page.body.indexOf('/assets/index.js'));
    const asset = await raw(bridge, { path: '/assets/index.js' });
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toContain('javascript');
    const clientScript = await raw(bridge, { path: '/__bridge-client.js' });
    expect(clientScript.body).toContain('"getStatus"');
    expect(clientScript.body).not.toContain(bridge.token);
  });

  it('refuses paths outside the renderer folder', async () => {
    for (const p of ['/../package.json', '/%2e%2e/%2e%2e/package.json', '/assets/..%2f..%2findex.html', '/.env', '/assets/x.exe']) {
      expect((await raw(bridge, { path: p })).status).toBe(404);
    }
  });

  it('streams pushed events to /events, only with the token, and validates them', async () => {
    expect((await raw(bridge, { path: '/events' })).status).toBe(401);
    const { port } = new URL(bridge.url);
    const received = new Promise<string>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: `/events?token=${bridge.token}` }, (res) => {
        expect(res.headers['content-type']).toContain('text/event-stream');
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          const frame = buffer.split('\n\n').find((f) => f.startsWith('event: progress'));
          if (frame) {
            req.destroy();
            resolve(frame);
          }
        });
      });
      req.on('error', reject);
    });
    await bridge.waitForEventClients(1);
    expect(bridge.emit('progress', { operation: 'backup', step: 'writing', fraction: 2 } as never)).toBe(false);
    expect(bridge.emit('progress', { operation: 'backup', step: 'writing', fraction: 0.5 })).toBe(true);
    const frame = await received;
    expect(frame).toBe('event: progress\ndata: {"operation":"backup","step":"writing","fraction":0.5}');
  });

  it('injects the client into pages without scripts too', () => {
    expect(injectClientScript('<html><head></head><body></body></html>', 'abc')).toContain('<script src="/__bridge-client.js" data-bridge-token="abc"></script>\n</head>');
  });
});

/**
 * Every operation with a valid request, in an order that gives each one the state it needs.
 * All must answer ok:true. While the core still has NOT_IMPLEMENTED stubs, the matching tests
 * fail with that code in their message — that is the to-do list, not a bug of the bridge.
 */
describe('every contract operation is reachable through the bridge (real core, temp data dir)', () => {
  const PASSWORD = 'Correct-Horse-Battery-Staple-42';
  const NEW_PASSWORD = 'Another-Correct-Horse-43';
  const covered = new Set<OperationKey>();
  let bridge: Bridge;
  let fresh: Bridge;
  let work: string;
  let generatedBackup: string | undefined;

  beforeAll(async () => {
    work = await tmp('cm-bridge-ops-');
    bridge = await startBridge({ dataDir: path.join(work, 'store'), log: () => {}, ...FIXTURE_STRENGTH });
    fresh = await startBridge({ dataDir: path.join(work, 'store-import'), log: () => {}, ...FIXTURE_STRENGTH });
  });
  afterAll(async () => {
    await bridge?.close();
    await fresh?.close();
  });

  async function expectOk(key: OperationKey, request: unknown, target: Bridge = bridge) {
    covered.add(key);
    const r = await call(target, key, request);
    const error = r.body.ok ? '' : `${r.body.error.code}: ${r.body.error.message}`;
    expect(r.body.ok, `${key} answered ${error}`).toBe(true);
    expect(r.status).toBe(200);
    return (r.body as { ok: true; value: never }).value;
  }
  const p = (name: string) => path.join(work, name);
  /** What the admin does first: picks the file in the (queued) native dialog. */
  async function chooseOpen(file: string, target: Bridge = bridge) {
    target.dialogs.queueOpen(file);
    expect(await expectOk('showOpenDialog', { purpose: 'backup' }, target)).toEqual({ path: file });
  }
  async function chooseSave(purpose: 'backup' | 'agent-certificate' | 'clients-csv' | 'history-csv' | 'pfx', file: string, target: Bridge = bridge) {
    target.dialogs.queueSave(file);
    expect(await expectOk('showSaveDialog', { purpose }, target)).toEqual({ path: file });
  }

  it('getStatus', async () => {
    expect(await expectOk('getStatus', {})).toMatchObject({ hasCertificate: false, current: null });
  });
  it('appInfo', async () => {
    expect(await expectOk('appInfo', {})).toMatchObject({ dataDir: bridge.dataDir });
  });
  it('passwordStrength', async () => {
    const v: { score: number } = await expectOk('passwordStrength', { password: PASSWORD });
    expect(v.score).toBeGreaterThanOrEqual(0);
  });
  it('getSettings', async () => {
    await expectOk('getSettings', {});
  });
  it('setSettings', async () => {
    expect(await expectOk('setSettings', { expiryWarningDays: 45 })).toMatchObject({ expiryWarningDays: 45 });
  });
  it('generate', async () => {
    const v: { status: { hasCertificate: boolean }; backupPath: string } = await expectOk('generate', { password: PASSWORD, keySize: 2048, validityDays: 365 });
    expect(v.status.hasCertificate).toBe(true);
    generatedBackup = v.backupPath;
    expect(existsSync(generatedBackup)).toBe(true);
  });
  it('verifyBackup', async () => {
    await chooseOpen(generatedBackup ?? p('missing.zip'));
    expect(await expectOk('verifyBackup', { path: generatedBackup ?? p('missing.zip'), password: PASSWORD })).toMatchObject({ sameAsCurrent: true });
  });
  it('backup', async () => {
    await chooseSave('backup', p('backup-v1.zip'));
    await expectOk('backup', { path: p('backup-v1.zip'), password: PASSWORD });
    expect(existsSync(p('backup-v1.zip'))).toBe(true);
  });
  it('exportAgentCertificate', async () => {
    await chooseSave('agent-certificate', p('agent.cer'));
    await expectOk('exportAgentCertificate', { path: p('agent.cer') });
    expect(existsSync(p('agent.cer'))).toBe(true);
  });
  it('exportPfx', async () => {
    // Only a path the admin chose for a .pfx: one chosen for a backup zip is not enough.
    expect((await call(bridge, 'exportPfx', { path: p('backup-v1.zip'), password: PASSWORD })).body).toMatchObject({ ok: false, error: { code: 'PATH_NOT_CHOSEN' } });
    await chooseSave('pfx', p('server-legacy.pfx'));
    expect(await expectOk('exportPfx', { path: p('server-legacy.pfx'), password: PASSWORD, compat: 'legacy' })).toMatchObject({ compat: 'legacy', chainLength: 0 });
    const opened = await decodePkcs12(readFileSync(p('server-legacy.pfx')), PASSWORD);
    expect(opened.encryption.every((e) => e.startsWith('pbeWithSHA1And3-KeyTripleDES-CBC/'))).toBe(true);
  });
  it('fleetSummary', async () => {
    await expectOk('fleetSummary', {});
  });
  it('clientsWithoutValidCertificate', async () => {
    expect(await expectOk('clientsWithoutValidCertificate', {})).toMatchObject({ total: 0 });
  });
  it('exportClientsCsv', async () => {
    await chooseSave('clients-csv', p('clients.csv'));
    await expectOk('exportClientsCsv', { path: p('clients.csv') });
  });
  it('queryAuthFailures', async () => {
    expect(await expectOk('queryAuthFailures', {})).toMatchObject({ total: 0, records: [] });
  });
  it('renew', async () => {
    const v: { status: { current: { version: number } } } = await expectOk('renew', { password: NEW_PASSWORD, keySize: 2048 });
    expect(v.status.current.version).toBe(2);
  });
  it('importCertificate (the first backup, into an empty store)', async () => {
    await chooseOpen(p('backup-v1.zip'), fresh);
    expect(await expectOk('importCertificate', { path: p('backup-v1.zip'), password: PASSWORD }, fresh)).toMatchObject({ hasCertificate: true });
  });
  it('restore (the renewed certificate over the imported one)', async () => {
    await chooseSave('backup', p('backup-v2.zip'));
    await expectOk('backup', { path: p('backup-v2.zip'), password: NEW_PASSWORD });
    await chooseOpen(p('backup-v2.zip'), fresh);
    const v: { current: { source: string } } = await expectOk('restore', { path: p('backup-v2.zip'), password: NEW_PASSWORD }, fresh);
    expect(v.current.source).toBe('restored');
  });
  it('showOpenDialog: the queued answer, then null', async () => {
    bridge.dialogs.queueOpen(p('backup-v1.zip'));
    expect(await expectOk('showOpenDialog', { purpose: 'backup' })).toEqual({ path: p('backup-v1.zip') });
    expect(await expectOk('showOpenDialog', { purpose: 'backup' })).toEqual({ path: null });
  });
  it('showSaveDialog: the queued answer, then a fresh temp path', async () => {
    bridge.dialogs.queueSave(p('chosen.zip'));
    expect(await expectOk('showSaveDialog', { purpose: 'backup' })).toEqual({ path: p('chosen.zip') });
    const a: { path: string } = await expectOk('showSaveDialog', { purpose: 'backup' });
    const b: { path: string } = await expectOk('showSaveDialog', { purpose: 'clients-csv', defaultName: '../clients.csv' });
    expect(a.path).not.toBe(b.path);
    expect(a.path.endsWith('.zip')).toBe(true);
    expect(path.basename(b.path)).toMatch(/clients\.csv$/);
    expect(path.dirname(b.path).startsWith(os.tmpdir())).toBe(true);
  });
  it('queryHistory and exportHistoryCsv', async () => {
    const page: { total: number; verified: boolean; entries: Array<{ operation: string }> } = await expectOk('queryHistory', {});
    expect(page.verified).toBe(true);
    expect(page.total).toBeGreaterThan(0);
    expect(page.entries.map((e) => e.operation)).toContain('generate');
    await chooseSave('history-csv', p('history.csv'));
    const r: { count: number } = await expectOk('exportHistoryCsv', { path: p('history.csv'), result: 'ok' });
    expect(r.count).toBeGreaterThan(0);
    expect(readFileSync(p('history.csv'), 'utf8').startsWith('\uFEFFseq,time,operation,result,')).toBe(true);
  });
  it('covers every operation of the contract', () => {
    expect([...covered].sort()).toEqual([...OPERATION_KEYS].sort());
  });
});

describe('main reads and writes only files the admin chose in a native dialog', () => {
  const PASSWORD = 'Correct-Horse-Battery-Staple-42';
  let bridge: Bridge;
  let work: string;
  beforeAll(async () => {
    work = await tmp('cm-bridge-grants-');
    bridge = await startBridge({ dataDir: path.join(work, 'store'), log: () => {}, ...FIXTURE_STRENGTH });
    expect((await call(bridge, 'generate', { password: PASSWORD, keySize: 2048 })).body.ok).toBe(true);
  });
  afterAll(async () => bridge?.close());
  const refused = async (key: OperationKey, request: unknown) => {
    const r = await call(bridge, key, request);
    expect(r.body).toMatchObject({ ok: false, error: { kind: 'usage', code: 'PATH_NOT_CHOSEN' } });
  };

  it('a path no dialog returned is refused, and nothing is written', async () => {
    const target = path.join(work, 'startup.bat');
    await refused('backup', { path: path.join(work, 'key.zip'), password: 'attacker-chosen-password' });
    await refused('exportAgentCertificate', { path: target });
    await refused('exportClientsCsv', { path: path.join(work, 'x.ps1') });
    await refused('verifyBackup', { path: '/etc/passwd', password: 'x' });
    expect(existsSync(path.join(work, 'key.zip')) || existsSync(target) || existsSync(path.join(work, 'x.ps1'))).toBe(false);
  });

  it('a file chosen for one purpose cannot be used for another, and a cancelled dialog grants nothing', async () => {
    const csv = path.join(work, 'clients.csv');
    bridge.dialogs.queueSave(csv);
    expect((await call(bridge, 'showSaveDialog', { purpose: 'clients-csv' })).body).toMatchObject({ ok: true, value: { path: csv } });
    await refused('backup', { path: csv, password: PASSWORD });
    await refused('restore', { path: csv, password: PASSWORD });
    expect((await call(bridge, 'exportClientsCsv', { path: csv })).body.ok).toBe(true);
    bridge.dialogs.queueOpen(null);
    expect((await call(bridge, 'showOpenDialog', { purpose: 'backup' })).body).toMatchObject({ ok: true, value: { path: null } });
  });

  it('a restore of a file the admin did not choose leaves the store as it was', async () => {
    const before = (await call(bridge, 'getStatus', {})).body;
    const other = await startBridge({ dataDir: path.join(work, 'other'), log: () => {}, ...FIXTURE_STRENGTH });
    try {
      const made = (await call(other, 'generate', { password: PASSWORD, keySize: 2048 })).body as { ok: true; value: { backupPath: string } };
      await refused('restore', { path: made.value.backupPath, password: PASSWORD });
    } finally {
      await other.close();
    }
    expect((await call(bridge, 'getStatus', {})).body).toEqual(before);
  });
});
