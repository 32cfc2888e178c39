/**
 * The agent's HTTP client: node:http / node:https with every read bounded and every wait
 * timed. A server that answers slowly, never finishes, or sends more than asked for cannot
 * hang the agent or fill its memory:
 * - connect timeout: the TCP (and TLS) connection must be up within `connectTimeoutMs`;
 * - total timeout: the whole exchange, headers and body, must end within `timeoutMs`;
 * - bounded read: a Content-Length above `maxBytes` is refused before the body is read, and
 *   the connection is cut as soon as more than `maxBytes` arrive;
 * - an AbortSignal (the agent's stop) cancels the exchange.
 * Many in-process agents can share one keep-alive `http.Agent` (the fleet simulator does).
 */
import http from 'node:http';
import https from 'node:https';

export interface HttpRequest {
  method: 'GET' | 'POST';
  url: string | URL;
  body?: Buffer | string;
  contentType?: string;
  /** Extra request headers (the agent's request signature). */
  headers?: Record<string, string>;
  /** Refuse (TransportError 'oversized') a response body larger than this. */
  maxBytes: number;
  timeoutMs?: number;
  connectTimeoutMs?: number;
  signal?: AbortSignal;
  /** Receive the body in chunks instead of as one buffer (still bounded by maxBytes). */
  onChunk?: (chunk: Buffer) => void;
}

export interface HttpResponse {
  status: number;
  contentType: string | null;
  /** Empty when onChunk took the body. */
  body: Buffer;
}

/** What an agent needs from the network; the simulator and tests may pass their own. */
export interface Transport {
  request(request: HttpRequest): Promise<HttpResponse>;
}

/**
 * - timeout: connected, but the answer did not finish in time (a slow or endless server);
 * - oversized: the answer is larger than the bound;
 * - unreachable: no connection (refused, reset, DNS, connect timeout): the server is down;
 * - aborted: the agent is stopping;
 * - protocol: not http(s), or a broken HTTP exchange.
 */
export type TransportFailure = 'timeout' | 'oversized' | 'unreachable' | 'aborted' | 'protocol';

export class TransportError extends Error {
  override readonly name = 'TransportError';
  constructor(
    readonly reason: TransportFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface HttpTransportOptions {
  /** Shared keep-alive agents; by default each transport has its own. */
  httpAgent?: http.Agent;
  httpsAgent?: https.Agent;
  connectTimeoutMs?: number;
  timeoutMs?: number;
  /** Extra TLS options (e.g. a private CA) for https servers. */
  tls?: https.RequestOptions;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
const DEFAULT_TIMEOUT_MS = 30_000;

const UNREACHABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'ETIMEDOUT', 'EADDRNOTAVAIL']);

export class HttpTransport implements Transport {
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;

  constructor(private readonly options: HttpTransportOptions = {}) {
    this.httpAgent = options.httpAgent ?? new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.httpsAgent = options.httpsAgent ?? new https.Agent({ keepAlive: true, maxSockets: 4 });
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.once(request, true);
    } catch (error) {
      // A kept-alive socket the server closed meanwhile fails at once: try a fresh one, once.
      if (error instanceof TransportError && error.message === RETRY_ON_FRESH_SOCKET) return this.once(request, false);
      throw error;
    }
  }

  /** Closes idle kept-alive sockets (the CLI does this before exiting). */
  destroy(): void {
    if (!this.options.httpAgent) this.httpAgent.destroy();
    if (!this.options.httpsAgent) this.httpsAgent.destroy();
  }

  private once(request: HttpRequest, mayRetry: boolean): Promise<HttpResponse> {
    const url = typeof request.url === 'string' ? new URL(request.url) : request.url;
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new TransportError('protocol', `Only http and https are supported, not ${url.protocol}`));
    const timeoutMs = request.timeoutMs ?? this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    const connectTimeoutMs = request.connectTimeoutMs ?? this.options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    const { maxBytes } = request;
    const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body, 'utf8');

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;
      let received = false;
      const chunks: Buffer[] = [];
      let size = 0;

      const finish = (error: TransportError | null, response?: HttpResponse) => {
        if (settled) return;
        settled = true;
        clearTimeout(totalTimer);
        clearTimeout(connectTimer);
        request.signal?.removeEventListener('abort', onAbort);
        if (error) {
          req.destroy();
          reject(error);
        } else resolve(response!);
      };
      const onAbort = () => finish(new TransportError('aborted', 'The request was cancelled'));

      const headers: Record<string, string> = { ...request.headers, accept: '*/*', 'user-agent': 'certificatemanager-agent' };
      if (body) {
        headers['content-type'] = request.contentType ?? 'application/json';
        headers['content-length'] = String(body.length);
      }
      const options: https.RequestOptions = { method: request.method, headers, agent: url.protocol === 'https:' ? this.httpsAgent : this.httpAgent, ...(url.protocol === 'https:' ? this.options.tls : {}) };
      const req = (url.protocol === 'https:' ? https : http).request(url, options);
      const totalTimer = setTimeout(() => finish(new TransportError('timeout', `No complete answer from ${url.origin} within ${timeoutMs} ms`)), timeoutMs);

      if (request.signal) {
        if (request.signal.aborted) return onAbort();
        request.signal.addEventListener('abort', onAbort, { once: true });
      }

      req.on('socket', (socket) => {
        if (!socket.connecting) return;
        connectTimer = setTimeout(() => finish(new TransportError('unreachable', `Could not connect to ${url.origin} within ${connectTimeoutMs} ms`)), connectTimeoutMs);
        socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });

      req.on('response', (res) => {
        received = true;
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          res.resume();
          return finish(new TransportError('oversized', `The answer from ${url.origin} is ${declared} bytes, more than the ${maxBytes} accepted`));
        }
        res.on('data', (chunk: Buffer) => {
          if (settled) return;
          size += chunk.length;
          if (size > maxBytes) return finish(new TransportError('oversized', `The answer from ${url.origin} is more than the ${maxBytes} bytes accepted`));
          if (request.onChunk) {
            try {
              request.onChunk(chunk);
            } catch (error) {
              settled = true;
              clearTimeout(totalTimer);
              req.destroy();
              reject(error);
            }
          } else chunks.push(chunk);
        });
        res.on('end', () => {
          const type = res.headers['content-type'];
          finish(null, { status: res.statusCode ?? 0, contentType: typeof type === 'string' ? type : null, body: Buffer.concat(chunks) });
        });
        res.on('aborted', () => finish(new TransportError('protocol', `The answer from ${url.origin} was cut off`)));
        res.on('error', (error) => finish(new TransportError('protocol', `The answer from ${url.origin} was cut off`, { cause: error })));
      });

      req.on('error', (error: NodeJS.ErrnoException) => {
        if (mayRetry && req.reusedSocket && (error.code === 'ECONNRESET' || error.code === 'EPIPE') && !received)
          return finish(new TransportError('unreachable', RETRY_ON_FRESH_SOCKET, { cause: error }));
        const reason: TransportFailure = error.code && UNREACHABLE_CODES.has(error.code) ? (received ? 'protocol' : 'unreachable') : 'protocol';
        finish(new TransportError(reason, `${url.origin}: ${error.code ?? error.message}`, { cause: error }));
      });

      req.end(body);
    });
  }
}

const RETRY_ON_FRESH_SOCKET = 'retry on a fresh socket';
