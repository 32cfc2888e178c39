/**
 * `certificatemanager serve`: the signed feed, agent check-ins and auth-failure uploads over
 * HTTP (Fastify), plus the same feed written as static files for IIS, nginx or a CDN.
 *
 * The server never takes the store's lock: it reads the committed state through CURRENT,
 * which renew and restore switch atomically. It polls CURRENT, so a renewal made by the CLI or
 * the app while it runs is picked up within `storePollMs`: the feed is signed again with the
 * new key and every response from then on is signed with it.
 */
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { lockOwned, type LockOwnerProbe } from '../store/owned-lock.js';
import { wrongState } from '../errors.js';
import type { AuthFailureRecord } from '../schemas.js';
import { storePaths } from '../store/store.js';
import { AgentRegistry } from './agents.js';
import { AuthFailureLog } from './auth-failures.js';
import { auditHeadOrNull, buildFeed, loadFeedContent, loadFeedIdentity, signerOf, writeFeed, type FeedContent, type FeedIdentity, type FeedSnapshot } from './feed.js';
import { fleetPaths } from './paths.js';
import { SequenceCounter } from './sequence.js';
import { MessageSigner } from './signer.js';
import { RequestAuthenticator } from '../protocol/request-auth.js';
import { nestsWithin } from './json-depth.js';
import {
  API_PATHS,
  CheckInRequestSchema,
  FEED_PREFIX,
  LIMITS,
  UploadRequestSchema,
  recordSha256,
  requestSha256,
  type ApiError,
  type CheckInResponse,
  type UploadAck,
} from '../protocol/wire.js';

/** Signed API responses live this long: enough for a slow network, short for a replay. */
export const RESPONSE_TTL_SECONDS = 300;

export interface FleetServerOptions {
  dataDir: string;
  /** Who this process is, and how to tell whether a lock's owner still runs (tests inject it). */
  lockOwner?: LockOwnerProbe;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  /** Also write the feed here after every publication (for a static web server or a CDN). */
  publishDir?: string;
  /** How often CURRENT and the feed's inputs are checked for changes. */
  storePollMs?: number;
  /** Lifetime of feed messages; the feed is signed again when half of it has passed. */
  ttlSeconds?: number;
  /** agents.json is written at most this often. */
  flushDelayMs?: number;
  /** The clock (tests sign expired or future messages with it). */
  now?: () => Date;
  /** Signing numbers reserved on disk at a time (sequence.ts; tests lower it to 1). */
  sequenceBlock?: number;
  /** One line per event worth telling the admin (publications, warnings). */
  log?: (line: string) => void;
}

export interface FleetServer {
  /** e.g. http://127.0.0.1:8443 */
  readonly url: string;
  /** `${url}/feed/` */
  readonly feedUrl: string;
  readonly dataDir: string;
  readonly registry: AgentRegistry;
  readonly failures: AuthFailureLog;
  /** The feed being served now. */
  snapshot(): FeedSnapshot;
  /** Signs and serves the feed again now (also what the poller does on a change). */
  republish(reason?: string): Promise<FeedSnapshot>;
  /** Checks CURRENT and the feed's inputs once, as the poller does. */
  poll(): Promise<void>;
  close(): Promise<void>;
}

const apiError = (reply: FastifyReply, status: number, code: string, message: string) => reply.code(status).send({ error: { code, message } } satisfies ApiError);

async function readPointer(dataDir: string): Promise<string> {
  return (await readFile(storePaths(dataDir).current, 'utf8').catch(() => '')).trim();
}

async function inputsKey(dataDir: string): Promise<string> {
  const paths = fleetPaths(dataDir);
  const parts = await Promise.all(
    [storePaths(dataDir).settings, paths.notices, paths.hotfixes].map(async (p) => {
      const info = await stat(p).catch(() => null);
      return info ? `${info.mtimeMs}:${info.size}` : '-';
    }),
  );
  return parts.join('|');
}

export async function startFleetServer(options: FleetServerOptions): Promise<FleetServer> {
  const { dataDir } = options;
  const clock = options.now ?? (() => new Date());
  const log = options.log ?? (() => undefined);
  const paths = fleetPaths(dataDir);
  const ttlSeconds = options.ttlSeconds;
  const ttlMs = (ttlSeconds ?? 24 * 60 * 60) * 1000;

  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  // Fail before anything is opened when there is nothing to sign with.
  let identity: FeedIdentity = await loadFeedIdentity(dataDir);
  let releaseLock: () => Promise<void>;
  try {
    // A lock left by a serve that crashed is taken over at once (its PID is gone), not after 10 s.
    releaseLock = await lockOwned(paths.serveLock, {
      lockfilePath: paths.serveLock,
      realpath: false,
      stale: 10_000,
      update: 2_000,
      retries: 0,
      onCompromised: (error) => log(`warning: the serve lock was lost (${error.message}); another serve may be running on ${dataDir}`),
    }, options.lockOwner);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED')
      throw wrongState('SERVE_RUNNING', `Another certificatemanager serve is running on ${dataDir}. Stop it first; one server owns the agent list and the logs.`);
    throw error;
  }

  const cleanups: (() => Promise<void>)[] = [() => releaseLock().catch(() => undefined)];
  const cleanup = async () => {
    for (const step of cleanups.reverse()) await step();
  };
  try {
    const counter = new SequenceCounter(paths.sequence, options.sequenceBlock);
    const registry = await AgentRegistry.load(paths.agents, { flushDelayMs: options.flushDelayMs, maxAgents: LIMITS.agents });
    cleanups.push(() => registry.close().catch(() => undefined));
    const failures = await AuthFailureLog.open(paths.authFailures);
    cleanups.push(() => failures.close().catch(() => undefined));

    let pointer = await readPointer(dataDir);
    let inputs = await inputsKey(dataDir);
    let content: FeedContent = await loadFeedContent(dataDir, (w) => log(`warning: ${w}`));
    let snapshot = await buildFeed({ identity, content, counter, now: clock(), ttlSeconds, auditHead: await auditHeadOrNull(dataDir) });
    // The identity the served feed was signed with: API answers use it too, so an agent never
    // gets an answer signed by a key whose rotation statement the feed does not serve yet.
    let served: FeedIdentity = identity;
    if (options.publishDir) await writeFeed(snapshot, options.publishDir);

    let chain: Promise<unknown> = Promise.resolve();
    const serialized = <T>(work: () => Promise<T>): Promise<T> => {
      const run = chain.then(work);
      chain = run.catch(() => undefined);
      return run;
    };

    // Not serialized itself: republish and poll run it inside their own serialized turn.
    const publish = async (reason: string): Promise<FeedSnapshot> => {
      const signing = identity;
      const next = await buildFeed({ identity: signing, content, counter, now: clock(), ttlSeconds, auditHead: await auditHeadOrNull(dataDir) });
      snapshot = next;
      served = signing;
      if (options.publishDir) {
        try {
          await writeFeed(next, options.publishDir);
        } catch (error) {
          log(`warning: the feed could not be written to ${options.publishDir}: ${(error as Error).message}`);
        }
      }
      log(`Published the feed (${reason}): certificate version ${next.version} ${next.fingerprintSha256}, head seq ${next.headSeq}`);
      return next;
    };

    const republish = (reason = 'requested') => serialized(() => publish(reason));

    /** One check of CURRENT and the feed's inputs; publishes what changed. */
    const checkAndPublish = async (): Promise<void> => {
      const nextPointer = await readPointer(dataDir);
      let reason: string | null = null;
      if (nextPointer && nextPointer !== pointer) {
        const nextIdentity = await loadFeedIdentity(dataDir);
        pointer = nextPointer;
        if (nextIdentity.generation !== identity.generation) {
          reason = nextIdentity.fingerprintSha256 === identity.fingerprintSha256 ? 'store changed' : `certificate changed to version ${nextIdentity.version}`;
          identity = nextIdentity;
        }
      }
      const nextInputs = await inputsKey(dataDir);
      if (nextInputs !== inputs) {
        inputs = nextInputs;
        const nextContent = await loadFeedContent(dataDir, (w) => log(`warning: ${w}`));
        if (JSON.stringify(nextContent) !== JSON.stringify(content)) {
          content = nextContent;
          reason ??= 'settings or content changed';
        }
      }
      if (!reason && clock().getTime() - snapshot.publishedAt.getTime() >= ttlMs / 2) reason = 'refresh before expiry';
      if (reason) await publish(reason);
    };

    // The check and the publication it calls for are one turn: a poll() that queues behind one
    // already under way (the timer's) returns only once that one's change is served. Publishing
    // in a later turn let the second poll see "no change" and return while the first had
    // adopted the new identity but still served the old feed.
    const poll = (): Promise<void> =>
      serialized(async () => {
        // What this check adopts counts only once it is served: if the publication fails (a full
        // disk while reserving signing numbers), the next poll finds the same change and tries
        // again, instead of taking it for old news until the refresh before expiry.
        const adopted = { pointer, identity, inputs, content };
        try {
          await checkAndPublish();
        } catch (error) {
          ({ pointer, identity, inputs, content } = adopted);
          throw error;
        }
      });

    const app: FastifyInstance = Fastify({
      logger: false,
      bodyLimit: LIMITS.uploadBodyBytes,
      connectionTimeout: 60_000,
      requestTimeout: 60_000,
      keepAliveTimeout: 75_000,
      return503OnClosing: true,
    });
    cleanups.push(() => app.close().catch(() => undefined));
    // JSON bodies are kept as received, so answers can say what exactly arrived (requestSha256).
    // Fastify's own parser (secure-json-parse: __proto__ and constructor.prototype refused) does the parsing.
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body, done) => {
      // Deep nesting is refused before any parser recurses through it (json-depth.ts).
      if (!nestsWithin(body as Buffer, LIMITS.jsonDepth))
        return done(Object.assign(new Error(`The request nests deeper than ${LIMITS.jsonDepth} levels.`), { statusCode: 400, code: 'TOO_DEEP' }), undefined);
      (request as FastifyRequest & { bodySha256?: string }).bodySha256 = requestSha256(body as Buffer);
      parseJson(request, (body as Buffer).toString('utf8'), done);
    });
    const bodySha256 = (request: FastifyRequest) => (request as FastifyRequest & { bodySha256?: string }).bodySha256 ?? requestSha256('');

    app.setErrorHandler((error: Error & { statusCode?: number; code?: string }, _request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 600 ? error.statusCode : 500;
      const code = status === 413 ? 'TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : error.code === 'TOO_DEEP' ? 'TOO_DEEP' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL';
      void apiError(reply, status, code, status < 500 ? error.message.slice(0, 200) : 'The server could not handle the request.');
    });
    app.setNotFoundHandler((_request, reply) => void apiError(reply, 404, 'NOT_FOUND', 'No such path.'));

    app.get(`${FEED_PREFIX}*`, async (request, reply) => {
      const path = (request.params as { '*': string })['*'];
      const file = snapshot.files.get(path);
      if (!file) return apiError(reply, 404, 'NOT_FOUND', 'No such feed file.');
      reply.header('content-type', file.contentType).header('cache-control', file.cacheControl).header('etag', `"${file.sha256}"`).header('content-length', file.size);
      return reply.send(file.body ?? createReadStream(file.file!));
    });

    // One fast signer per identity: the key is checked against its certificate once, not per answer.
    let responder = { identity: served, signer: new MessageSigner(signerOf(served)) };
    const sign = async (payload: CheckInResponse | UploadAck) => {
      if (responder.identity !== served) responder = { identity: served, signer: new MessageSigner(signerOf(served)) };
      return responder.signer.sign({ kind: 'endpoint-response', seq: await counter.take(), payload, now: clock(), ttlSeconds: RESPONSE_TTL_SECONDS });
    };
    const sendSigned = (reply: FastifyReply, jws: string) => reply.header('content-type', 'application/jose').header('cache-control', 'no-store').send(jws);

    // Every agent request is signed by the agent's own key (request-auth.ts); anything else is 401.
    const authenticator = new RequestAuthenticator();
    const authenticate = (request: FastifyRequest, reply: FastifyReply, path: string, body: { agentId: string; nonce: string; sentAt: string }) => {
      const refusal = authenticator.check({ headers: request.headers, method: 'POST', path, bodySha256: bodySha256(request), ...body, now: clock() });
      // Too busy is this agent's own limit (429, retried later); everything else is not its request (401).
      if (refusal) void apiError(reply, refusal.code === 'AGENT_TOO_BUSY' ? 429 : 401, refusal.code, refusal.message);
      return refusal === null;
    };

    app.post(API_PATHS.checkIn, { bodyLimit: LIMITS.checkInBodyBytes }, async (request, reply) => {
      const parsed = CheckInRequestSchema.safeParse(request.body);
      if (!parsed.success) return apiError(reply, 400, 'BAD_REQUEST', issueText(parsed.error));
      const input = parsed.data;
      if (!authenticate(request, reply, API_PATHS.checkIn, input)) return reply;
      if (!registry.checkIn(input, clock())) return apiError(reply, 503, 'FLEET_FULL', `The server keeps at most ${LIMITS.agents} agents.`);
      const current = served;
      return sendSigned(
        reply,
        await sign({
          type: 'check-in',
          agentId: input.agentId,
          nonce: input.nonce,
          certificate: { version: current.version, fingerprintSha256: current.fingerprintSha256 },
          trusted: input.trustedFingerprint === current.fingerprintSha256,
          requestSha256: bodySha256(request),
        }),
      );
    });

    let logFullWarned = false;
    const agentFullWarned = new Set<string>();
    app.post(API_PATHS.authFailures, { bodyLimit: LIMITS.uploadBodyBytes }, async (request, reply) => {
      const parsed = UploadRequestSchema.safeParse(request.body);
      if (!parsed.success) return apiError(reply, 400, 'BAD_REQUEST', issueText(parsed.error));
      const { agentId, nonce } = parsed.data;
      if (parsed.data.records.some((r) => r.agentId !== undefined && r.agentId !== agentId))
        return apiError(reply, 400, 'AGENT_MISMATCH', 'Every record must belong to the agent that uploads it.');
      if (!authenticate(request, reply, API_PATHS.authFailures, parsed.data)) return reply;
      // Agents check in before every upload; records of an agent nobody knows are not kept.
      if (!registry.has(agentId)) return apiError(reply, 403, 'UNKNOWN_AGENT', 'Check in before uploading auth-failure records.');
      const incoming = parsed.data.records.filter((r) => !failures.index.has(agentId, r.id)).length;
      if (failures.index.countFor(agentId) + incoming > LIMITS.storedRecordsPerAgent) {
        // Only the agent itself can upload under its id: it is under a long attack, or its key
        // was stolen. Either way the admin should look at it.
        if (!agentFullWarned.has(agentId) && agentFullWarned.size < 1000)
          log(`warning: agent ${agentId} has ${LIMITS.storedRecordsPerAgent} auth-failure records stored, its limit; its further uploads are refused. Look at its records: it is under a long attack, or its key was stolen.`);
        agentFullWarned.add(agentId);
        return apiError(reply, 429, 'AGENT_LOG_FULL', `The server keeps at most ${LIMITS.storedRecordsPerAgent} records per agent.`);
      }
      if (failures.index.size + incoming > LIMITS.storedRecords) {
        if (!logFullWarned) log(`warning: the auth-failure log holds ${failures.index.size} records, its limit; new uploads are refused until it is archived (${failures.file}).`);
        logFullWarned = true;
        return apiError(reply, 507, 'LOG_FULL', 'The server keeps no more auth-failure records for now.');
      }
      const records: AuthFailureRecord[] = parsed.data.records.map((r) => ({ ...r, agentId }));
      const receivedAt = clock();
      const { accepted, duplicates } = await failures.append(records, receivedAt);
      registry.recordFailures(agentId, accepted, receivedAt);
      // What is stored under each record's id now (this upload's copy or an earlier one), in the
      // request's order: the agent forgets a record only when this is the content it sent.
      const stored = records.map((r) => {
        const held = failures.index.get(agentId, r.id);
        return held ? recordSha256(held) : null;
      });
      return sendSigned(reply, await sign({ type: 'auth-failure-ack', agentId, nonce, stored, accepted: accepted.length, duplicates, requestSha256: bodySha256(request) }));
    });

    await app.listen({ host: options.host ?? '127.0.0.1', port: options.port ?? 0 });
    const address = app.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    const url = `http://${host}:${address.port}`;

    let polling = false;
    const timer = setInterval(() => {
      if (polling) return;
      polling = true;
      poll()
        .catch((error: unknown) => log(`warning: ${(error as Error).message}`))
        .finally(() => (polling = false));
    }, options.storePollMs ?? 500);
    timer.unref();
    cleanups.push(async () => clearInterval(timer));

    let closing: Promise<void> | null = null;
    return {
      url,
      feedUrl: `${url}${FEED_PREFIX}`,
      dataDir,
      registry,
      failures,
      snapshot: () => snapshot,
      republish,
      poll,
      close: () => (closing ??= (async () => {
        await chain;
        await cleanup();
      })()),
    };
  } catch (error) {
    await cleanup();
    throw error;
  }
}

function issueText(error: { issues: readonly { path: readonly PropertyKey[]; message: string }[] }): string {
  const issue = error.issues[0];
  const where = issue && issue.path.length > 0 ? ` at ${issue.path.map(String).join('.')}` : '';
  return `The request is not valid${where}: ${issue?.message ?? 'unknown problem'}`.slice(0, 200);
}
