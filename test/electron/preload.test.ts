// The preload: in sync with the contract, one object exposed, errors and events shaped as
// promised; and its build: one CommonJS file that requires nothing but `electron`.
import { mkdtemp, readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { EVENT_KEYS, OPERATION_KEYS, channelOf, eventChannelOf, type CertificateManagerApi } from '../../core/api/contract.js';
import { eventChannel, operationChannel } from '../../electron/preload/api-shape.js';

const electron = vi.hoisted(() => {
  const listeners = new Map<string, Set<(...args: unknown[]) => void>>();
  return {
    listeners,
    exposeInMainWorld: vi.fn(),
    invoke: vi.fn(async (..._args: unknown[]): Promise<unknown> => ({ ok: true, value: null })),
    on: vi.fn((channel: string, l: (...args: unknown[]) => void) => {
      if (!listeners.has(channel)) listeners.set(channel, new Set());
      listeners.get(channel)!.add(l);
    }),
    removeListener: vi.fn((channel: string, l: (...args: unknown[]) => void) => {
      listeners.get(channel)?.delete(l);
    }),
  };
});

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: electron.exposeInMainWorld },
  ipcRenderer: { invoke: electron.invoke, on: electron.on, removeListener: electron.removeListener },
}));

// preload.ts run from source here has no build step to compile the contract's names in; the
// build sets them (electron/preload/contract-names.mjs), and the last test below checks that the
// built file exposes exactly the contract's operations.
(globalThis as { __CONTRACT_NAMES__?: unknown }).__CONTRACT_NAMES__ = { operations: OPERATION_KEYS, events: EVENT_KEYS };

async function loadPreload(): Promise<CertificateManagerApi> {
  vi.resetModules();
  electron.exposeInMainWorld.mockClear();
  await import('../../electron/preload/preload.js');
  expect(electron.exposeInMainWorld).toHaveBeenCalledTimes(1);
  const [name, api] = electron.exposeInMainWorld.mock.calls[0] as [string, CertificateManagerApi];
  expect(name).toBe('certificateManager');
  return api;
}

describe('preload ↔ contract', () => {
  it('uses the contract’s channel names', () => {
    for (const key of OPERATION_KEYS) expect(operationChannel(key)).toBe(channelOf(key));
    for (const key of EVENT_KEYS) expect(eventChannel(key)).toBe(eventChannelOf(key));
  });
});

describe('the exposed object', () => {
  beforeEach(() => {
    electron.invoke.mockReset();
    electron.listeners.clear();
  });

  it('is one object: every operation plus on(), and nothing else (no ipcRenderer, no invoke)', async () => {
    const api = await loadPreload();
    expect(Object.keys(api).sort()).toEqual([...OPERATION_KEYS, 'on'].sort());
    for (const value of Object.values(api)) expect(typeof value).toBe('function');
    expect(Object.isFrozen(api)).toBe(true);
  });

  it('invokes channelOf(key) with exactly the request and unwraps {ok:true}', async () => {
    const api = await loadPreload();
    electron.invoke.mockResolvedValueOnce({ ok: true, value: { version: '1' } });
    await expect(api.appInfo({})).resolves.toEqual({ version: '1' });
    expect(electron.invoke).toHaveBeenCalledWith(channelOf('appInfo'), {});
    expect(electron.invoke.mock.calls[0]).toHaveLength(2);

    electron.invoke.mockResolvedValueOnce({ ok: true, value: null });
    await api.backup({ path: '/tmp/b.zip', password: 'pw' });
    expect(electron.invoke).toHaveBeenLastCalledWith(channelOf('backup'), { path: '/tmp/b.zip', password: 'pw' });
  });

  it('rejects {ok:false} with a plain CertManagerError-shaped object', async () => {
    const api = await loadPreload();
    const error = { kind: 'wrong-password', code: 'WRONG_PASSWORD', message: 'The password is wrong.', details: {} };
    electron.invoke.mockResolvedValueOnce({ ok: false, error });
    const rejection = await api.verifyBackup({ path: '/b.zip', password: 'x' }).catch((e: unknown) => e);
    expect(rejection).toEqual({ name: 'CertManagerError', ...error });
    expect(rejection).not.toBeInstanceOf(Error); // survives contextBridge with all fields
  });

  it('turns a transport failure or a malformed answer into an internal error', async () => {
    const api = await loadPreload();
    electron.invoke.mockRejectedValueOnce(new Error("Error invoking remote method 'cm:op:getStatus': no handler"));
    await expect(api.getStatus({})).rejects.toMatchObject({ name: 'CertManagerError', kind: 'internal', code: 'IPC_FAILED' });
    electron.invoke.mockResolvedValueOnce('surprise');
    await expect(api.getStatus({})).rejects.toMatchObject({ kind: 'internal', code: 'IPC_FAILED' });
  });

  it('on() gives listeners only the payload, and unsubscribes', async () => {
    const api = await loadPreload();
    const received: unknown[] = [];
    const off = api.on('progress', (payload) => received.push(payload));
    const channel = eventChannelOf('progress');
    const payload = { operation: 'generate', step: 'writing', fraction: 0.5 };
    const fakeEvent = { sender: { send: () => {} }, senderFrame: null };
    for (const l of electron.listeners.get(channel) ?? []) l(fakeEvent, payload);
    expect(received).toEqual([payload]);
    off();
    expect(electron.listeners.get(channel)?.size).toBe(0);
  });

  it('on() refuses unknown events and non-function listeners', async () => {
    const api = await loadPreload();
    expect(() => api.on('cm:op:generate' as never, () => {})).toThrow(TypeError);
    expect(() => api.on('progress', 'x' as never)).toThrow(TypeError);
    expect(electron.on).not.toHaveBeenCalledWith('cm:op:generate', expect.anything());
  });
});

describe('the preload build (electron/build-preload.mjs)', () => {
  it('is one CommonJS file that requires only electron and carries no zod or core code', async () => {
    const outDir = await mkdtemp(path.join(os.tmpdir(), 'cm-preload-'));
    // @ts-expect-error -- a plain .mjs build script, no type declarations
    const { buildPreload } = (await import('../../electron/build-preload.mjs')) as { buildPreload: (o: { outDir: string }) => Promise<string> };
    const file = await buildPreload({ outDir });
    expect(path.basename(file)).toBe('preload.cjs');
    const code = await readFile(file, 'utf8');

    const required = [...code.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
    expect(new Set(required)).toEqual(new Set(['electron']));
    expect(code).not.toMatch(/^\s*import\s|^\s*export\s/m);
    expect(code).not.toMatch(/\bzod\b|ZodError|safeParse/);
    expect(code).not.toContain('__bridge-client');

    // Run it the way a sandboxed preload runs: a function of (require, module, exports) with
    // nothing else around it.
    const exposed: Array<[string, Record<string, unknown>]> = [];
    const fakeElectron = {
      contextBridge: { exposeInMainWorld: (name: string, api: Record<string, unknown>) => exposed.push([name, api]) },
      ipcRenderer: { invoke: async () => ({ ok: true, value: 'pong' }), on: () => {}, removeListener: () => {} },
    };
    const sandboxRequire = (id: string) => {
      if (id !== 'electron') throw new Error(`the sandboxed preload cannot require ${id}`);
      return fakeElectron;
    };
    const module = { exports: {} };
    vm.runInNewContext(`(function (require, module, exports) {${code}\n})`, {})(sandboxRequire, module, module.exports);
    expect(exposed).toHaveLength(1);
    expect(exposed[0]![0]).toBe('certificateManager');
    expect(Object.keys(exposed[0]![1]).sort()).toEqual([...OPERATION_KEYS, 'on'].sort());
    // The events too come from the contract, compiled in: each one subscribes, anything else is refused.
    const on = exposed[0]![1].on as (event: string, listener: () => void) => () => void;
    for (const event of EVENT_KEYS) expect(typeof on(event, () => {})).toBe('function');
    expect(() => on('cm:op:generate', () => {})).toThrow(/Unknown event/); // the vm's own TypeError
    await expect((exposed[0]![1].getStatus as (r: unknown) => Promise<unknown>)({})).resolves.toBe('pong');
  });
});
