/**
 * Shared by the fleet and agent tests: a real store (RSA-2048, cheap backups), an in-process
 * server on 127.0.0.1, a small hostile HTTP server, and a way to wait for eventual effects.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { generateCertificate, renewCertificate } from '../../core/ops/index.js';
import { loadPrivateKey, readStore } from '../../core/store/store.js';
import { startFleetServer, type FleetServer, type FleetServerOptions } from '../../core/fleet/index.js';
import { fingerprintSha256, type Signer } from '../../core/trust/index.js';
import { tempDir } from '../helpers/temp.js';
import { fixtureContext } from '../helpers/fixtures.js';

export const PASSWORD = 'fleet-test-password';

/** A data folder with a certificate (RSA-2048, 1,000 PBKDF2 iterations: fast). */
export async function makeStore(prefix = 'cm-fleet-'): Promise<string> {
  const dataDir = join(await tempDir(prefix), 'data');
  await generateCertificate(fixtureContext(dataDir), { password: PASSWORD, keySize: 2048, subject: 'fleet test server' });
  return dataDir;
}

export async function renew(dataDir: string): Promise<void> {
  await renewCertificate(fixtureContext(dataDir), { password: PASSWORD, keySize: 2048 });
}

/** The SHA-256 fingerprint of the store's current certificate. */
export async function currentFingerprint(dataDir: string): Promise<string> {
  return fingerprintSha256(Buffer.from((await readStore(dataDir))!.state.current.certificateDer, 'base64'));
}

/** The store's current signing identity (what the real server signs with). */
export async function currentSigner(dataDir: string): Promise<Signer & { version: number }> {
  const snapshot = (await readStore(dataDir))!;
  return { privateKey: await loadPrivateKey(snapshot), certificate: Buffer.from(snapshot.state.current.certificateDer, 'base64'), version: snapshot.state.current.version };
}

/** An in-process server that polls fast and flushes fast; closed after the file. */
export async function startServer(dataDir: string, options: Partial<FleetServerOptions> = {}): Promise<FleetServer> {
  const server = await startFleetServer({ dataDir, storePollMs: 50, flushDelayMs: 50, ...options });
  afterAll(() => server.close());
  return server;
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, what: string, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export type HostileAnswer =
  | { status?: number; body: Buffer | string; contentType?: string }
  /** Accept the request and never answer. */
  | { hang: true }
  /** Send headers, then one byte every `everyMs`, forever. */
  | { drip: number }
  /** Stream bytes as fast as possible, forever (no Content-Length). */
  | { flood: true };

export interface HostileServer {
  url: string;
  feedUrl: string;
  /** Requests seen, as "METHOD path". */
  seen: string[];
  /** Replace the answer for a path (relative to /feed/, or absolute when it starts with /). */
  set(path: string, answer: HostileAnswer | null): void;
  close(): Promise<void>;
}

/** A hostile (or merely misbehaving) feed mirror on 127.0.0.1. Unknown paths get 404. */
export async function startHostile(initial: Record<string, HostileAnswer> = {}): Promise<HostileServer> {
  const answers = new Map<string, HostileAnswer>();
  const key = (p: string) => (p.startsWith('/') ? p : `/feed/${p}`);
  for (const [p, a] of Object.entries(initial)) answers.set(key(p), a);
  const seen: string[] = [];
  const timers = new Set<NodeJS.Timeout>();
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const answer = answers.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!answer) {
      res.writeHead(404).end();
      return;
    }
    if ('hang' in answer) return;
    if ('drip' in answer) {
      res.writeHead(200, { 'content-type': 'application/jose' });
      const t = setInterval(() => res.write('e'), answer.drip);
      timers.add(t);
      res.on('close', () => clearInterval(t));
      return;
    }
    if ('flood' in answer) {
      res.writeHead(200, { 'content-type': 'application/jose' });
      const chunk = Buffer.alloc(64 * 1024, 0x41);
      const pump = () => {
        while (res.write(chunk)) {
          /* keep writing until the socket pushes back */
        }
      };
      res.on('drain', pump);
      pump();
      return;
    }
    res.writeHead(answer.status ?? 200, { 'content-type': answer.contentType ?? 'application/jose' }).end(answer.body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () =>
    new Promise<void>((r) => {
      for (const t of timers) clearInterval(t);
      server.closeAllConnections();
      server.close(() => r());
    });
  afterAll(close);
  return {
    url,
    feedUrl: `${url}/feed/`,
    seen,
    set: (p, a) => (a ? answers.set(key(p), a) : answers.delete(key(p))),
    close,
  };
}

/** Fetches a feed file of a running server as bytes. */
export async function fetchBytes(url: string): Promise<Buffer> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}
