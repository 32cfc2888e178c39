/**
 * The app's own privileged protocol, app://certificatemanager/, which serves the built renderer
 * (dist/renderer) and nothing else — instead of file://, whose pages may read any file
 * (Electron security checklist item 18).
 *
 * Pure Node, no Electron import: main registers `createAppProtocolHandler(...)` with
 * `protocol.handle`, and the test bridge reuses the same path resolution, content types and CSP.
 */
// The fs/promises object itself, looked up at call time: Electron patches its functions to read
// inside app.asar, and a named import could capture an unpatched function.
import fsp from 'node:fs/promises';
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'certificatemanager';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * The renderer's Content-Security-Policy, sent as a header with every response of the protocol.
 * Only the app's own scripts, styles, images and fonts; no network at all (the renderer talks to
 * main through the preload, never over the network); no <base>, forms, frames or embedding.
 */
const CSP_DIRECTIVES: Readonly<Record<string, string>> = {
  'default-src': "'none'",
  'script-src': "'self'",
  'style-src': "'self'",
  'img-src': "'self' data:",
  'font-src': "'self'",
  'connect-src': "'none'",
  'base-uri': "'none'",
  'form-action': "'none'",
  'frame-ancestors': "'none'",
};

export function buildCsp(overrides: Readonly<Record<string, string>> = {}): string {
  const merged = { ...CSP_DIRECTIVES, ...overrides };
  return Object.entries(merged)
    .map(([directive, value]) => `${directive} ${value}`)
    .join('; ');
}

export const APP_CSP = buildCsp();

/** Headers sent with every file of the renderer (besides Content-Type). */
export function securityHeaders(csp: string = APP_CSP): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
}

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.txt': 'text/plain; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
};

/** The Content-Type of a renderer file, or null for a type the renderer has no business serving. */
export function contentTypeFor(filePath: string): string | null {
  return CONTENT_TYPES[path.extname(filePath).toLowerCase()] ?? null;
}

/**
 * Maps a request path ("/assets/index-abc.js", as found in a URL, percent-encoded) to a file
 * under `rootDir`, or null when the request must be refused: traversal ("..", encoded or not),
 * backslashes, NUL bytes, dot-files, drive letters, or anything resolving outside the root.
 * "/" maps to index.html. This is a lexical check; `createAppProtocolHandler` also refuses files
 * whose real path (after symlinks) leaves the root.
 */
export function resolveRendererFile(rootDir: string, requestPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  if (!decoded.startsWith('/')) return null;
  const segments = decoded.split('/').filter((s) => s.length > 0);
  for (const segment of segments) {
    if (segment === '.' || segment === '..' || segment.startsWith('.')) return null;
    if (/^[a-zA-Z]:/.test(segment) || segment.includes(':')) return null;
  }
  const relative = segments.length === 0 || decoded.endsWith('/') ? [...segments, 'index.html'] : segments;
  const root = path.resolve(rootDir);
  const resolved = path.resolve(root, ...relative);
  if (resolved !== root && !resolved.startsWith(root + path.sep)) return null;
  return resolved;
}

interface ProtocolHandlerOptions {
  rootDir: string;
  readFile?: (file: string) => Promise<Uint8Array>;
  realpath?: (file: string) => Promise<string>;
  log?: (message: string) => void;
}

const plain = (status: number, text: string, csp: string) =>
  new Response(text, { status, headers: { 'Content-Type': 'text/plain; charset=utf-8', ...securityHeaders(csp) } });

/**
 * The handler given to `protocol.handle(APP_SCHEME, …)`: GET/HEAD of files under rootDir for the
 * host "certificatemanager" only, each with the CSP and security headers; everything else 4xx.
 */
export function createAppProtocolHandler(options: ProtocolHandlerOptions): (request: Request) => Promise<Response> {
  const readFile = options.readFile ?? ((file: string) => fsp.readFile(file));
  const realpath = options.realpath ?? ((file: string) => fsp.realpath(file));
  const log = options.log ?? ((m: string) => console.warn(m));
  const csp = APP_CSP;
  return async (request) => {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return plain(400, 'Bad request', csp);
    }
    if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return plain(404, 'Not found', csp);
    if (request.method !== 'GET' && request.method !== 'HEAD') return plain(405, 'Method not allowed', csp);
    const file = resolveRendererFile(options.rootDir, url.pathname);
    if (!file) {
      log(`[protocol] refused ${APP_SCHEME}: request outside the renderer folder`);
      return plain(404, 'Not found', csp);
    }
    const type = contentTypeFor(file);
    if (!type) return plain(404, 'Not found', csp);
    try {
      const [root, real] = await Promise.all([realpath(path.resolve(options.rootDir)), realpath(file)]);
      if (real !== root && !real.startsWith(root + path.sep)) {
        log(`[protocol] refused a file that links outside the renderer folder`);
        return plain(404, 'Not found', csp);
      }
      const body = await readFile(real);
      return new Response(request.method === 'HEAD' ? null : body, {
        status: 200,
        headers: { 'Content-Type': type, ...securityHeaders(csp) },
      });
    } catch {
      return plain(404, 'Not found', csp);
    }
  };
}
