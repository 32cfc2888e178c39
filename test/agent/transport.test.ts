/**
 * The agent's HTTP client: bounded reads and timeouts, whatever the server does.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpTransport, TransportError } from '../../core/agent/index.js';
import { startHostile, type HostileServer } from '../fleet/helpers.js';

let hostile: HostileServer;
const transport = new HttpTransport();

beforeAll(async () => {
  hostile = await startHostile({
    'ok': { body: 'hello' },
    'big': { body: Buffer.alloc(10_000, 0x41) },
    'hang': { hang: true },
    'drip': { drip: 20 },
    'flood': { flood: true },
  });
});

async function failure(promise: Promise<unknown>): Promise<TransportError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof TransportError) return error;
    throw error;
  }
  throw new Error('expected a TransportError');
}

describe('HttpTransport', () => {
  it('reads a body within its bound', async () => {
    const res = await transport.request({ method: 'GET', url: `${hostile.feedUrl}ok`, maxBytes: 5 });
    expect(res.status).toBe(200);
    expect(res.body.toString()).toBe('hello');
  });

  it('refuses a declared Content-Length above the bound before reading the body', async () => {
    const error = await failure(transport.request({ method: 'GET', url: `${hostile.feedUrl}big`, maxBytes: 9_999 }));
    expect(error.reason).toBe('oversized');
  });

  it('cuts an endless body as soon as it passes the bound', async () => {
    // No clock: the total timeout is far past this test's own, so only the bound can end the
    // request ('oversized'); a reader that went on until some timeout would never get here.
    const error = await failure(transport.request({ method: 'GET', url: `${hostile.feedUrl}flood`, maxBytes: 1024 * 1024, timeoutMs: 600_000 }));
    expect(error.reason).toBe('oversized');
  });

  it('gives up on a server that never answers, or answers a byte at a time, after the total timeout', async () => {
    // The request's own 300 ms must end it: the transport's default is set far past this test's
    // timeout, so a transport that ignored the request's timeout (or only timed out an idle
    // socket, which the drip never is) would never get here. No clock is read.
    const patient = new HttpTransport({ timeoutMs: 600_000 });
    try {
      for (const path of ['hang', 'drip']) {
        const error = await failure(patient.request({ method: 'GET', url: `${hostile.feedUrl}${path}`, maxBytes: 1024 * 1024, timeoutMs: 300 }));
        expect(error.reason, path).toBe('timeout');
      }
    } finally {
      patient.destroy();
    }
  });

  it('a refused connection is an outage (unreachable), not a refusal', async () => {
    const server = http.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    await new Promise<void>((r) => server.close(() => r()));
    const error = await failure(transport.request({ method: 'GET', url: `http://127.0.0.1:${port}/`, maxBytes: 10 }));
    expect(error.reason).toBe('unreachable');
  });

  it('stops at once when the agent stops (AbortSignal)', async () => {
    const controller = new AbortController();
    const pending = transport.request({ method: 'GET', url: `${hostile.feedUrl}hang`, maxBytes: 10, timeoutMs: 10_000, signal: controller.signal });
    setTimeout(() => controller.abort(), 50);
    expect((await failure(pending)).reason).toBe('aborted');
  });

  it('only http and https', async () => {
    expect((await failure(transport.request({ method: 'GET', url: 'file:///etc/passwd', maxBytes: 10 }))).reason).toBe('protocol');
  });

  it('a kept-alive socket the server closed meanwhile is replaced transparently', async () => {
    const server = http.createServer((_req, res) => res.end('ok'));
    server.keepAliveTimeout = 30;
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const shared = new HttpTransport({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 1 }) });
    try {
      for (let i = 0; i < 5; i++) {
        expect((await shared.request({ method: 'GET', url, maxBytes: 10 })).body.toString()).toBe('ok');
        await new Promise((r) => setTimeout(r, 40));
      }
    } finally {
      shared.destroy();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
