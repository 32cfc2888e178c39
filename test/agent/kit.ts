/**
 * Tools for the agent tests: agents wired to a real server (check-ins and uploads) and to a
 * feed that may be hostile; hostile feeds signed with whatever key an attacker holds; crafted
 * rotation statements.
 */
import { constants, createPrivateKey, sign, type KeyObject } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AgentKey, generateAgentKey } from '../../core/protocol/request-auth.js';
import { Agent, MemoryAgentStorage, newAgentMeta, type AgentOptions } from '../../core/agent/index.js';
import { rotationPath } from '../../core/protocol/wire.js';
import { SequenceCounter, buildFeed, sequenceTimeFloor, type FeedContent, type FeedSnapshot } from '../../core/fleet/index.js';
import { createSelfSignedCertificate } from '../../core/pki/certificate.js';
import { createTrustState, fingerprintSha256, parseRotationStatement, thumbprintB64url, type Signer } from '../../core/trust/index.js';
import { tempDir } from '../helpers/temp.js';
import type { HostileServer } from '../fleet/helpers.js';
import { testPrivateKey } from '../helpers/test-keys.js';

export interface Identity extends Signer {
  fingerprintSha256: string;
}

/** A key and self-signed certificate nobody's agents trust (an attacker's). */
export function makeIdentity(name = 'attacker'): Identity {
  const privateKey = testPrivateKey();
  const certificate = createSelfSignedCertificate({ privateKey, commonName: name, validityDays: 30, now: new Date() });
  return { privateKey, certificate, fingerprintSha256: fingerprintSha256(certificate) };
}

/**
 * A counter far above the real server's (whose numbers start at its clock's time floor), so
 * hostile messages are fresh for the agent: `above` more than the floor a day from now.
 */
export async function highCounter(above = 1_000_000_000): Promise<SequenceCounter> {
  const dir = await tempDir('cm-counter-');
  const file = join(dir, 'sequence.json');
  await mkdir(dir, { recursive: true });
  await writeFile(file, JSON.stringify({ format: 'cm-sequence/1', reservedUpTo: sequenceTimeFloor(Date.now() + 86_400_000) + above }));
  return new SequenceCounter(file);
}

export const NO_CONTENT: FeedContent = { settings: { logUploadIntervalMinutes: 60 }, notices: [], hotfixes: [] };

/** A complete feed signed by `signer` (as the real server would, or an attacker with that key). */
export async function signedFeed(
  signer: Signer,
  options: { version?: number; rotations?: string[]; counter?: SequenceCounter; now?: Date; ttlSeconds?: number; content?: FeedContent } = {},
): Promise<FeedSnapshot> {
  return buildFeed({
    identity: { generation: 0, version: options.version ?? 1, certificate: signer.certificate, fingerprintSha256: fingerprintSha256(signer.certificate), privateKey: signer.privateKey, rotations: options.rotations ?? [] },
    content: options.content ?? NO_CONTENT,
    counter: options.counter ?? (await highCounter()),
    now: options.now,
    ttlSeconds: options.ttlSeconds,
  });
}

const served = new WeakMap<HostileServer, Set<string>>();

/**
 * Serves every file of a snapshot from the hostile server (optionally with changes), and
 * nothing an earlier snapshot served there: a chain file left by one test must not lead the
 * next test's agent anywhere.
 */
export function serveSnapshot(hostile: HostileServer, snapshot: FeedSnapshot, override: Record<string, Buffer | string> = {}): void {
  const paths = new Set<string>();
  const files: [string, Buffer | string][] = [...snapshot.files].flatMap(([path, file]) => (file.body ? [[path, file.body] as [string, Buffer]] : []));
  for (const [path, body] of [...files, ...Object.entries(override)]) {
    hostile.set(path, { body });
    paths.add(path);
  }
  for (const old of served.get(hostile) ?? []) if (!paths.has(old)) hostile.set(old, null);
  served.set(hostile, paths);
}

export const head = (snapshot: FeedSnapshot): string => snapshot.files.get('index.jws')!.body!.toString('ascii');

const pss = (key: KeyObject, data: string) => sign('sha256', Buffer.from(data), { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }).toString('base64url');

/** A rotation statement built by hand: any payload, signed by any keys (claiming any thumbprints). */
export function craftStatement(payload: unknown, signers: { key: KeyObject; certificate: Buffer }[]): string {
  const p = Buffer.from(JSON.stringify(payload)).toString('base64url');
  return JSON.stringify({
    payload: p,
    signatures: signers.map(({ key, certificate }) => {
      const h = Buffer.from(JSON.stringify({ alg: 'PS256', typ: 'cm-rotation+jws', 'x5t#S256': thumbprintB64url(certificate) })).toString('base64url');
      return { protected: h, signature: pss(key, `${h}.${p}`) };
    }),
  });
}

/** The files a feed serves the chain as (rotations/<fingerprint>.json), for serveSnapshot's overrides. */
export function chainFiles(statements: string[]): Record<string, string> {
  return Object.fromEntries(statements.map((s) => [rotationPath(parseRotationStatement(s).payload.previous.fingerprintSha256), s]));
}

export interface TestAgent {
  id: string;
  agent: Agent;
  storage: MemoryAgentStorage;
}

/** An agent trusting `certificate` (at `version`), uploading to `serverUrl`, reading the feed at `feedUrl`. */
export function testAgent(options: { serverUrl: string; feedUrl?: string; certificate: Buffer; version?: number; storage?: MemoryAgentStorage } & Partial<AgentOptions>): TestAgent {
  // Every test agent has its own key, and its id is the key's (core/protocol/request-auth.ts).
  const agentKey = options.storage?.agentKey ?? generateAgentKey();
  const id = new AgentKey(createPrivateKey(agentKey)).agentId;
  const storage = options.storage ?? new MemoryAgentStorage({ trust: createTrustState(options.certificate, { version: options.version ?? 1 }), meta: newAgentMeta(id, new Date()) });
  storage.agentKey = agentKey;
  const agent = new Agent({ timeoutMs: 2_000, connectTimeoutMs: 2_000, ...options, storage });
  return { id, agent, storage };
}
