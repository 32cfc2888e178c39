/**
 * TEST-ONLY loopback bridge: serves the IPC contract over HTTP so the real renderer can run in
 * Debian's Chromium (Playwright) against the real core, where no Electron binary exists.
 *
 *   POST /api/<operation>      JSON body = the request; `Authorization: Bearer <token>`;
 *                              answers Result<T>, through the SAME dispatch() as the app's IPC
 *   GET  /events?token=…       Server-Sent Events, one `event: <key>` per contract event
 *   GET  /?token=…             the built renderer's index.html (dist/renderer), with
 *                              <script src="/__bridge-client.js"> injected before its scripts
 *   GET  /__bridge-client.js   window.certificateManager, same shape as the preload's object
 *   GET  /<asset>              other renderer files, same path rules as the app:// protocol
 *
 * It listens on 127.0.0.1 only, on a random port, with a random 32-byte token, checks the Host
 * header (DNS rebinding) and the Origin of API calls. It lives only under test/ and is never in a
 * build (test/bridge/no-bridge-in-production.test.ts checks dist/).
 */
import http from 'node:http';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
// Loaded with the module, not when first needed: scripts/demo.mjs imports this file through a
// Vite module runner that is closed once the import is done.
import { build } from 'vite';
import { EVENT_KEYS, OPERATION_KEYS, events as eventSchemas, type ApiHandlers, type EventKey, type EventOf } from '../../core/api/contract.js';
import { createApiHandlers, startFleetEvents } from '../../core/api/service.js';
import type { OperationContext } from '../../core/ops/context.js';
import { dispatch, isOperationKey } from '../../core/api/dispatch.js';
import { buildCsp, contentTypeFor, resolveRendererFile, securityHeaders } from '../../electron/main/app-protocol.js';

const here = path.dirname(fileURLToPath(import.meta.url));

let clientBundle: Promise<string> | null = null;
/**
 * bridge-client.ts bundled into one classic script: window.certificateManager made by the
 * preload's own buildApi over HTTP. Built once per process (Vite's library mode, in memory).
 */
function bridgeClientScript(): Promise<string> {
  clientBundle ??= (async () => {
    const output = await build({
      configFile: false,
      root: path.resolve(here, '..', '..'),
      logLevel: 'error',
      publicDir: false,
      // The names the preload build compiles in (electron/preload/contract-names.mjs), from the contract.
      define: { __CONTRACT_NAMES__: JSON.stringify({ operations: OPERATION_KEYS, events: EVENT_KEYS }) },
      build: {
        write: false,
        minify: false,
        target: 'chrome120',
        lib: { entry: path.join(here, 'bridge-client.ts'), formats: ['iife'], name: 'bridgeClient', fileName: () => 'bridge-client.js' },
      },
    });
    const result = (Array.isArray(output) ? output[0] : output) as { output: { code?: string }[] };
    return result.output[0]!.code!;
  })();
  return clientBundle;
}
const repoRoot = path.resolve(here, '..', '..');
export const DEFAULT_RENDERER_DIR = path.join(repoRoot, 'dist', 'renderer');
const CLIENT_SCRIPT_PATH = '/__bridge-client.js';
const MAX_BODY_BYTES = 1024 * 1024;

/** The app's CSP, except that the page may talk to the bridge itself (fetch and EventSource). */
export const BRIDGE_CSP = buildCsp({ 'connect-src': "'self'" });

export interface BridgeOptions {
  dataDir: string;
  /** Defaults to dist/renderer; when it has no index.html a placeholder page is served. */
  rendererDir?: string;
  /** Answers queued up front, consumed in order (null = the admin cancelled). */
  dialogAnswers?: { open?: Array<string | null>; save?: Array<string | null> };
  /** Replace the core's handlers (tests of the bridge itself). */
  handlers?: ApiHandlers;
  port?: number;
  /** The locale appInfo reports (the app reports the OS locale); default: this machine's. */
  locale?: string;
  /** PBKDF2 iterations for new backups; tests lower it for speed. Default: the core's 600,000. */
  iterations?: number;
  /** Where new keys come from; tests hand out theirs (OperationContext.newPrivateKey). */
  newPrivateKey?: OperationContext['newPrivateKey'];
  /** Where the bridge logs refused requests and internal errors; defaults to stderr. */
  log?: (message: string) => void;
}

export interface Bridge {
  /** http://127.0.0.1:<port> */
  url: string;
  /** The page to open: `${url}/?token=…` */
  pageUrl: string;
  token: string;
  dataDir: string;
  dialogs: { queueOpen(path: string | null): void; queueSave(path: string | null): void };
  /** Pushes a contract event to every connected page (validated like createEventSender). */
  emit<E extends EventKey>(event: E, payload: EventOf<E>): boolean;
  /** Resolves once at least `count` pages are listening for events. */
  waitForEventClients(count?: number, timeoutMs?: number): Promise<void>;
  close(): Promise<void>;
}

const PLACEHOLDER_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>CertificateManager (bridge)</title></head>
<body><h1>CertificateManager test bridge</h1>
<p>No renderer build was found. Run <code>npm run build:renderer</code> and reload; the contract is
still available as <code>window.certificateManager</code> in the console.</p></body></html>
`;

/** Inserts the bridge client before the page's first script (or at the end of head). */
export function injectClientScript(html: string, token: string): string {
  const tag = `<script src="${CLIENT_SCRIPT_PATH}" data-bridge-token="${token}"></script>`;
  const firstScript = html.search(/<script\b/i);
  if (firstScript !== -1) return `${html.slice(0, firstScript)}${tag}\n${html.slice(firstScript)}`;
  const headEnd = html.search(/<\/head>/i);
  if (headEnd !== -1) return `${html.slice(0, headEnd)}${tag}\n${html.slice(headEnd)}`;
  return `${tag}\n${html}`;
}

function tokensEqual(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function startBridge(options: BridgeOptions): Promise<Bridge> {
  const token = randomBytes(32).toString('hex');
  const rendererDir = options.rendererDir ?? DEFAULT_RENDERER_DIR;
  const log = options.log ?? ((m: string) => process.stderr.write(`${m}\n`));
  const openQueue: Array<string | null> = [...(options.dialogAnswers?.open ?? [])];
  const saveQueue: Array<string | null> = [...(options.dialogAnswers?.save ?? [])];
  const sseClients = new Set<http.ServerResponse>();
  let saveDir: string | undefined;
  let saveCounter = 0;
  let lastSavedBackup: string | null = null;

  const emit = <E extends EventKey>(event: E, payload: EventOf<E>): boolean => {
    if (!(EVENT_KEYS as readonly string[]).includes(event)) return false;
    const checked = eventSchemas[event].safeParse(payload);
    if (!checked.success) {
      log(`[bridge] event ${event} does not match the contract; not sent`);
      return false;
    }
    const frame = `event: ${event}\ndata: ${JSON.stringify(checked.data)}\n\n`;
    for (const client of sseClients) client.write(frame);
    return true;
  };

  const saveExtension: Record<string, string> = { backup: '.zip', 'agent-certificate': '.cer', 'clients-csv': '.csv', pfx: '.pfx' };
  const handlers =
    options.handlers ??
    createApiHandlers({
      dataDir: options.dataDir,
      emit,
      appInfo: { version: await packageVersion(), locale: options.locale ?? Intl.DateTimeFormat().resolvedOptions().locale, platform: process.platform },
      iterations: options.iterations,
      newPrivateKey: options.newPrivateKey,
      dialogs: {
        async showOpen() {
          if (openQueue.length > 0) return openQueue.shift()!;
          // With nothing queued (the demo), offer the backup saved last, so a person can walk
          // backup -> restore in a browser without a native file dialog.
          return lastSavedBackup && (await stat(lastSavedBackup).then(() => true, () => false)) ? lastSavedBackup : null;
        },
        async showSave(purpose, defaultName) {
          if (saveQueue.length > 0) return saveQueue.shift()!;
          saveDir ??= await mkdtemp(path.join(os.tmpdir(), 'cm-bridge-save-'));
          const n = ++saveCounter;
          const base = defaultName ? path.basename(defaultName) : `${purpose}${saveExtension[purpose] ?? ''}`;
          const chosen = path.join(saveDir, `${n}-${base}`);
          if (purpose === 'backup') lastSavedBackup = chosen;
          return chosen;
        },
      },
    });

  // Like the app: push fleetChanged when agents or the certificate change.
  const fleetEvents = options.handlers ? null : startFleetEvents({ dataDir: options.dataDir, emit });

  const clientScript = await bridgeClientScript();

  const server = http.createServer();
  let origin = '';
  const allowedHosts = new Set<string>();

  const send = (res: http.ServerResponse, status: number, body: string | Buffer, type: string, extra: Record<string, string> = {}) => {
    res.writeHead(status, { 'Content-Type': type, ...securityHeaders(BRIDGE_CSP), ...extra });
    res.end(body);
  };
  const sendJson = (res: http.ServerResponse, status: number, value: unknown) => send(res, status, JSON.stringify(value), 'application/json; charset=utf-8');
  const sendError = (res: http.ServerResponse, status: number, code: string, message: string) =>
    sendJson(res, status, { ok: false, error: { kind: 'usage', code, message, details: {} } });

  const readBody = (req: http.IncomingMessage) =>
    new Promise<Buffer | null>((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          resolve(null);
          req.destroy();
          return;
        }
        chunks.push(chunk);
      });
      req.on('end', () => resolve(Buffer.concat(chunks)));
      req.on('error', reject);
    });

  async function handleApi(req: http.IncomingMessage, res: http.ServerResponse, key: string) {
    if (req.method !== 'POST') return sendError(res, 405, 'METHOD_NOT_ALLOWED', 'Use POST.');
    const auth = req.headers.authorization ?? '';
    if (!tokensEqual(auth.startsWith('Bearer ') ? auth.slice(7) : null, token)) return sendError(res, 401, 'UNAUTHORIZED', 'Missing or wrong bridge token.');
    if (req.headers.origin !== undefined && req.headers.origin !== origin) return sendError(res, 403, 'FORBIDDEN_ORIGIN', 'Cross-origin calls are refused.');
    if (!isOperationKey(key)) return sendError(res, 404, 'UNKNOWN_OPERATION', 'This operation does not exist.');
    if (!(req.headers['content-type'] ?? '').toLowerCase().startsWith('application/json'))
      return sendError(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'Send the request as application/json.');
    const body = await readBody(req);
    if (body === null) return sendError(res, 413, 'REQUEST_TOO_LARGE', 'The request is too large.');
    let request: unknown;
    try {
      request = JSON.parse(body.toString('utf8'));
    } catch {
      return sendError(res, 400, 'INVALID_JSON', 'The request body is not JSON.');
    }
    const result = await dispatch(handlers, key, [request], { validateResponses: true, log });
    const status = !result.ok && result.error.code === 'INVALID_REQUEST' ? 400 : 200;
    return sendJson(res, status, result);
  }

  function handleEvents(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    if (!tokensEqual(url.searchParams.get('token'), token)) return sendError(res, 401, 'UNAUTHORIZED', 'Missing or wrong bridge token.');
    res.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', Connection: 'keep-alive', ...securityHeaders(BRIDGE_CSP) });
    res.write(': connected\n\n');
    sseClients.add(res);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    req.on('close', () => {
      clearInterval(keepAlive);
      sseClients.delete(res);
    });
  }

  async function handleStatic(req: http.IncomingMessage, res: http.ServerResponse, url: URL) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'Method not allowed', 'text/plain; charset=utf-8');
    if (url.pathname === CLIENT_SCRIPT_PATH) return send(res, 200, clientScript, 'text/javascript; charset=utf-8');
    const isPage = url.pathname === '/' || url.pathname === '/index.html';
    if (isPage) {
      if (!tokensEqual(url.searchParams.get('token'), token)) return send(res, 401, 'Open the URL the bridge printed (it carries the token).', 'text/plain; charset=utf-8');
      const index = path.join(rendererDir, 'index.html');
      const html = existsSync(index) ? await readFile(index, 'utf8') : PLACEHOLDER_PAGE;
      return send(res, 200, injectClientScript(html, token), 'text/html; charset=utf-8');
    }
    const file = resolveRendererFile(rendererDir, url.pathname);
    const type = file ? contentTypeFor(file) : null;
    if (!file || !type) return send(res, 404, 'Not found', 'text/plain; charset=utf-8');
    try {
      return send(res, 200, await readFile(file), type);
    } catch {
      return send(res, 404, 'Not found', 'text/plain; charset=utf-8');
    }
  }

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    // DNS rebinding: only requests addressed to this loopback server by name are served.
    if (!allowedHosts.has(req.headers.host ?? '')) return sendError(res, 421, 'WRONG_HOST', 'Wrong Host header.');
    let url: URL;
    try {
      url = new URL(req.url ?? '/', origin);
    } catch {
      return sendError(res, 400, 'BAD_URL', 'Bad URL.');
    }
    const apiMatch = /^\/api\/([^/]+)$/.exec(url.pathname);
    const work = apiMatch
      ? handleApi(req, res, decodeURIComponent(apiMatch[1]!))
      : url.pathname === '/events'
        ? Promise.resolve(handleEvents(req, res, url))
        : handleStatic(req, res, url);
    work.catch((error: unknown) => {
      log(`[bridge] ${req.method} ${url.pathname} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendError(res, 500, 'BRIDGE_ERROR', 'The bridge failed.');
      else res.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as import('node:net').AddressInfo).port;
  origin = `http://127.0.0.1:${port}`;
  allowedHosts.add(`127.0.0.1:${port}`).add(`localhost:${port}`);

  return {
    url: origin,
    pageUrl: `${origin}/?token=${token}`,
    token,
    dataDir: options.dataDir,
    dialogs: {
      queueOpen: (p) => void openQueue.push(p),
      queueSave: (p) => void saveQueue.push(p),
    },
    emit,
    async waitForEventClients(count = 1, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (sseClients.size < count) {
        if (Date.now() > deadline) throw new Error(`no event client connected within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        fleetEvents?.close();
        for (const client of sseClients) client.end();
        sseClients.clear();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function packageVersion(): Promise<string> {
  try {
    const pkg = JSON.parse(await readFile(path.join(repoRoot, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
