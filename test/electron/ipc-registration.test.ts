import { describe, expect, it, vi } from 'vitest';
import { OPERATION_KEYS, channelOf, eventChannelOf, type ApiHandlers, type Result } from '../../core/api/contract.js';
import { CertManagerError, toCertManagerError, wrongPassword } from '../../core/errors.js';
import {
  createEventSender,
  createTrustedSenderCheck,
  registerContract,
  type FrameLike,
  type InvokeEventLike,
  type IpcMainLike,
} from '../../electron/main/ipc-registration.js';
import { GENERIC_INTERNAL_MESSAGE, dispatch, toErrorPayload } from '../../core/api/dispatch.js';

type Listener = (event: InvokeEventLike, ...args: unknown[]) => unknown;

/** A stand-in for ipcMain: records handlers and lets the test invoke them like a renderer. */
class FakeIpcMain implements IpcMainLike {
  readonly handlers = new Map<string, Listener>();
  handle(channel: string, listener: Listener) {
    if (this.handlers.has(channel)) throw new Error(`second handler for ${channel}`);
    this.handlers.set(channel, listener);
  }
  removeHandler(channel: string) {
    this.handlers.delete(channel);
  }
  async invoke(channel: string, event: InvokeEventLike, ...args: unknown[]): Promise<Result<unknown>> {
    const listener = this.handlers.get(channel);
    if (!listener) throw new Error(`No handler registered for '${channel}'`);
    return (await listener(event, ...args)) as Result<unknown>;
  }
}

const status = { dataDir: '/data', hasCertificate: false, current: null, replaced: [] };

/** Handlers that answer validly; individual tests override one. */
function fakeHandlers(overrides: Partial<ApiHandlers> = {}): ApiHandlers {
  const notUsed = async (): Promise<never> => {
    throw new Error('not used in this test');
  };
  const base = Object.fromEntries(OPERATION_KEYS.map((k) => [k, notUsed])) as unknown as ApiHandlers;
  return {
    ...base,
    getStatus: async () => status,
    appInfo: async () => ({ version: '0.1.0', locale: 'en-US', platform: 'linux', dataDir: '/data' }),
    ...overrides,
  };
}

const mainFrame: FrameLike = { url: 'app://certificatemanager/index.html', parent: null };
const trusted: InvokeEventLike = { senderFrame: mainFrame };

function setup(handlers = fakeHandlers(), opts: { validateResponses?: boolean } = {}) {
  const ipc = new FakeIpcMain();
  const logs: string[] = [];
  const log = (m: string) => logs.push(m);
  const isTrustedSender = createTrustedSenderCheck(() => mainFrame, log);
  const dispose = registerContract(ipc, handlers, { isTrustedSender, validateResponses: opts.validateResponses ?? true, log });
  return { ipc, logs, dispose };
}

describe('registerContract', () => {
  it('registers exactly one handler per contract operation, on channelOf(key), and removes them', () => {
    const { ipc, dispose } = setup();
    expect([...ipc.handlers.keys()].sort()).toEqual(OPERATION_KEYS.map(channelOf).sort());
    dispose();
    expect(ipc.handlers.size).toBe(0);
  });

  it('answers a trusted call with {ok:true, value}', async () => {
    const { ipc } = setup();
    await expect(ipc.invoke(channelOf('getStatus'), trusted, {})).resolves.toEqual({ ok: true, value: status });
  });

  describe('refuses foreign senders, and logs them without arguments', () => {
    const secret = 'correct horse battery staple';
    const cases: Array<[string, InvokeEventLike]> = [
      ['missing senderFrame', { senderFrame: null }],
      ['another window’s main frame on the app origin', { senderFrame: { url: 'app://certificatemanager/index.html', parent: null } }],
      ['a subframe of the app window', { senderFrame: { url: 'app://certificatemanager/frame.html', parent: mainFrame } }],
      ['a subframe on a foreign origin', { senderFrame: { url: 'https://evil.example/', parent: mainFrame } }],
    ];
    for (const [name, event] of cases) {
      it(name, async () => {
        const generate = vi.fn();
        const { ipc, logs } = setup(fakeHandlers({ generate }));
        const result = await ipc.invoke(channelOf('generate'), event, { password: secret });
        expect(result).toMatchObject({ ok: false, error: { code: 'SENDER_REFUSED' } });
        expect(generate).not.toHaveBeenCalled();
        expect(logs.length).toBeGreaterThan(0);
        expect(logs.join('\n')).not.toContain(secret);
      });
    }

    it('the app window’s own main frame after it navigated to a foreign origin', async () => {
      const ipc = new FakeIpcMain();
      const logs: string[] = [];
      const hijacked: FrameLike = { url: 'https://evil.example/phish', parent: null };
      registerContract(ipc, fakeHandlers(), { isTrustedSender: createTrustedSenderCheck(() => hijacked, (m) => logs.push(m)), log: (m) => logs.push(m) });
      const result = await ipc.invoke(channelOf('generate'), { senderFrame: hijacked }, { password: secret });
      expect(result).toMatchObject({ ok: false, error: { code: 'SENDER_REFUSED' } });
      expect(logs.join('\n')).toContain('https://evil.example');
      expect(logs.join('\n')).not.toContain(secret);
    });

    for (const url of ['app://other/index.html', 'file:///C:/app/index.html', 'app://certificatemanager:8080/', 'app://user:pw@certificatemanager/', 'not a url', '']) {
      it(`the main frame with URL ${JSON.stringify(url)}`, async () => {
        const frame: FrameLike = { url, parent: null };
        const ipc = new FakeIpcMain();
        registerContract(ipc, fakeHandlers(), { isTrustedSender: createTrustedSenderCheck(() => frame, () => {}), log: () => {} });
        await expect(ipc.invoke(channelOf('getStatus'), { senderFrame: frame }, {})).resolves.toMatchObject({ ok: false, error: { code: 'SENDER_REFUSED' } });
      });
    }

    it('another frame with other (processId, routingId); the same ids count as the same frame', async () => {
      const main: FrameLike = { url: 'app://certificatemanager/index.html', parent: null, processId: 4, routingId: 1 };
      const ipc = new FakeIpcMain();
      registerContract(ipc, fakeHandlers(), { isTrustedSender: createTrustedSenderCheck(() => main, () => {}), log: () => {} });
      const other = { ...main, routingId: 2 };
      await expect(ipc.invoke(channelOf('getStatus'), { senderFrame: other }, {})).resolves.toMatchObject({ ok: false, error: { code: 'SENDER_REFUSED' } });
      await expect(ipc.invoke(channelOf('getStatus'), { senderFrame: { ...main } }, {})).resolves.toMatchObject({ ok: true });
    });

    it('when the window is gone', async () => {
      const ipc = new FakeIpcMain();
      registerContract(ipc, fakeHandlers(), { isTrustedSender: createTrustedSenderCheck(() => null, () => {}), log: () => {} });
      await expect(ipc.invoke(channelOf('getStatus'), trusted, {})).resolves.toMatchObject({ ok: false, error: { code: 'SENDER_REFUSED' } });
    });

    it('when the sender check itself throws', async () => {
      const ipc = new FakeIpcMain();
      registerContract(ipc, fakeHandlers(), {
        isTrustedSender: () => {
          throw new Error('boom');
        },
        log: () => {},
      });
      await expect(ipc.invoke(channelOf('getStatus'), trusted, {})).resolves.toMatchObject({ ok: false, error: { code: 'SENDER_REFUSED' } });
    });
  });

  describe('refuses bad arguments before any handler runs', () => {
    const cases: Array<[string, string, unknown[]]> = [
      ['no argument', 'getStatus', []],
      ['two arguments', 'getStatus', [{}, {}]],
      ['an extra field on an empty request', 'getStatus', [{ extra: 1 }]],
      ['an extra field on generate', 'generate', [{ password: 'x', admin: true }]],
      ['a wrong type', 'generate', [{ password: 42 }]],
      ['an empty password', 'generate', [{ password: '' }]],
      ['an oversized password', 'backup', [{ path: '/tmp/a.zip', password: 'x'.repeat(1025) }]],
      ['a key size the contract does not allow', 'generate', [{ password: 'x', keySize: 1024 }]],
      ['null', 'getStatus', [null]],
      ['a string', 'getStatus', ['{}']],
      ['an array', 'getStatus', [[]]],
      ['a prototype-polluting key', 'setSettings', [JSON.parse('{"__proto__": {"admin": true}}')]],
    ];
    for (const [name, key, args] of cases) {
      it(name, async () => {
        const spy = vi.fn();
        const { ipc } = setup(fakeHandlers({ [key]: spy } as Partial<ApiHandlers>));
        const result = await ipc.invoke(channelOf(key as never), trusted, ...args);
        expect(result).toMatchObject({ ok: false, error: { kind: 'usage', code: 'INVALID_REQUEST' } });
        expect(spy).not.toHaveBeenCalled();
      });
    }

    it('never echoes the offending value (a password) in the error', async () => {
      const { ipc } = setup();
      const result = await ipc.invoke(channelOf('generate'), trusted, { password: 'hunter2-secret', keySize: 'hunter2-secret' });
      expect(JSON.stringify(result)).not.toContain('hunter2-secret');
      expect(result).toMatchObject({ ok: false, error: { details: { field: 'keySize' } } });
    });
  });

  it('passes the parsed request (with the contract defaults) to the handler', async () => {
    const spy = vi.fn(async () => ({ total: 0, agents: [], states: { current: 0, migrating: 0, stale: 0, refusing: 0 } }));
    const { ipc } = setup(fakeHandlers({ clientsWithoutValidCertificate: spy }));
    await expect(ipc.invoke(channelOf('clientsWithoutValidCertificate'), trusted, {})).resolves.toMatchObject({ ok: true });
    expect(spy).toHaveBeenCalledWith({ offset: 0, limit: 100 });
  });

  describe('maps errors to ErrorPayload', () => {
    it('keeps a CertManagerError’s kind, code, message and details', async () => {
      const error = new CertManagerError('wrong-state', 'CERTIFICATE_EXISTS', 'A certificate already exists. Use renew.', { version: 3 });
      const { ipc } = setup(fakeHandlers({ getStatus: async () => Promise.reject(error) }));
      await expect(ipc.invoke(channelOf('getStatus'), trusted, {})).resolves.toEqual({
        ok: false,
        error: { kind: 'wrong-state', code: 'CERTIFICATE_EXISTS', message: 'A certificate already exists. Use renew.', details: { version: 3 } },
      });
    });

    it('keeps wrong-password', async () => {
      const { ipc } = setup(fakeHandlers({ getStatus: async () => Promise.reject(wrongPassword()) }));
      await expect(ipc.invoke(channelOf('getStatus'), trusted, {})).resolves.toMatchObject({ ok: false, error: { kind: 'wrong-password', code: 'WRONG_PASSWORD' } });
    });

    it('turns an unknown error into a generic internal one: no message, no stack, no paths', async () => {
      const error = new Error('ENOENT: no such file or directory, open /opt/CertificateManager/resources/app.asar/secret.key');
      const logs: string[] = [];
      const ipc = new FakeIpcMain();
      registerContract(ipc, fakeHandlers({ getStatus: async () => Promise.reject(error) }), { isTrustedSender: () => true, log: (m) => logs.push(m) });
      const result = await ipc.invoke(channelOf('getStatus'), trusted, {});
      expect(result).toEqual({ ok: false, error: { kind: 'internal', code: 'INTERNAL', message: GENERIC_INTERNAL_MESSAGE, details: {} } });
      const text = JSON.stringify(result);
      expect(text).not.toContain('ENOENT');
      expect(text).not.toContain('/opt/');
      expect(text).not.toContain('at ');
      // …but main's log keeps what a developer needs.
      expect(logs.join('\n')).toContain('ENOENT');
    });

    it('treats the core’s own catch-all INTERNAL wrapper as unknown too', async () => {
      const wrapped = toCertManagerError(new Error('EISDIR: /home/admin/secret'));
      const { ipc } = setup(fakeHandlers({ getStatus: async () => Promise.reject(wrapped) }));
      const result = await ipc.invoke(channelOf('getStatus'), trusted, {});
      expect(result).toMatchObject({ ok: false, error: { kind: 'internal', code: 'INTERNAL', message: GENERIC_INTERNAL_MESSAGE } });
      expect(JSON.stringify(result)).not.toContain('/home/admin');
    });

    it('handles thrown non-Errors', () => {
      expect(toErrorPayload('a string')).toMatchObject({ kind: 'internal', code: 'INTERNAL' });
      expect(toErrorPayload(undefined)).toMatchObject({ kind: 'internal', code: 'INTERNAL' });
      expect(toErrorPayload({ name: 'CertManagerError', kind: 'root', code: 'X', message: 'm' })).toMatchObject({ kind: 'internal', code: 'INTERNAL' });
    });

    it('drops non-primitive details', () => {
      const e = new CertManagerError('bad-input', 'X', 'm', { ok: 'yes', n: 1, bad: { nested: true } as unknown as string });
      expect(toErrorPayload(e).details).toEqual({ ok: 'yes', n: 1 });
    });
  });

  describe('response validation', () => {
    const broken = fakeHandlers({ getStatus: async () => ({ hasCertificate: 'maybe' }) as never });
    it('refuses a response that breaks the contract in development', async () => {
      const logs: string[] = [];
      const ipc = new FakeIpcMain();
      registerContract(ipc, broken, { isTrustedSender: () => true, validateResponses: true, log: (m) => logs.push(m) });
      await expect(ipc.invoke(channelOf('getStatus'), trusted, {})).resolves.toMatchObject({ ok: false, error: { kind: 'internal', code: 'INVALID_RESPONSE' } });
      expect(logs.join('\n')).toContain('does not match the contract');
    });
    it('does not spend time on it in production', async () => {
      const ipc = new FakeIpcMain();
      registerContract(ipc, broken, { isTrustedSender: () => true, validateResponses: false, log: () => {} });
      await expect(ipc.invoke(channelOf('getStatus'), trusted, {})).resolves.toMatchObject({ ok: true });
    });
  });
});

describe('dispatch', () => {
  it('refuses names that are not operations, including Object.prototype members', async () => {
    for (const key of ['nope', '__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      await expect(dispatch(fakeHandlers(), key, [{}], { validateResponses: true })).resolves.toMatchObject({ ok: false, error: { code: 'UNKNOWN_OPERATION' } });
    }
  });
});

describe('createEventSender', () => {
  const progress = { operation: 'generate', step: 'generating-key', fraction: 0.25 } as const;
  const fakeContents = () => ({ send: vi.fn(), isDestroyed: vi.fn(() => false) });

  it('sends a valid payload on eventChannelOf(key)', () => {
    const contents = fakeContents();
    const send = createEventSender(contents);
    expect(send('progress', progress)).toBe(true);
    expect(contents.send).toHaveBeenCalledWith(eventChannelOf('progress'), progress);
  });

  it('does not send a payload that breaks the contract', () => {
    const contents = fakeContents();
    const logs: string[] = [];
    const send = createEventSender(contents, (m) => logs.push(m));
    expect(send('progress', { ...progress, fraction: 7 })).toBe(false);
    expect(send('nope' as never, {} as never)).toBe(false);
    expect(contents.send).not.toHaveBeenCalled();
    expect(logs).toHaveLength(2);
  });

  it('drops events while there is no live window', () => {
    const contents = fakeContents();
    contents.isDestroyed.mockReturnValue(true);
    expect(createEventSender(contents)('progress', progress)).toBe(false);
    expect(createEventSender(() => null)('progress', progress)).toBe(false);
    expect(contents.send).not.toHaveBeenCalled();
  });
});
