/**
 * Agent authentication: each agent signs its check-ins and uploads with its own Ed25519 key,
 * and its agent id is derived from that key, so nobody can speak for an agent whose private
 * key they do not hold. The server needs no enrolment and keeps no key list: the id *is* the
 * binding (SHA-256 of the public key's SPKI DER), checked on every request.
 *
 * What is signed (one signature per request, so a 500-record upload costs one verification):
 *
 *     cm-agent-request/1 \n POST \n <API path> \n <hex SHA-256 of the exact body bytes>
 *
 * The body carries the agent id, a fresh nonce and `sentAt`; the server refuses a `sentAt`
 * further than MAX_CLOCK_SKEW_MS from its own clock and a nonce it has seen within that window,
 * so a captured request cannot be replayed, and a request cannot be moved to another endpoint.
 */
import { createHash, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';

export const AGENT_AUTH_HEADERS = {
  /** base64url SPKI DER of the agent's Ed25519 public key. */
  key: 'x-cm-agent-key',
  /** base64url Ed25519 signature over the signing input. */
  signature: 'x-cm-agent-signature',
} as const;

const AGENT_REQUEST_FORMAT = 'cm-agent-request/1';

/** How far an agent's `sentAt` may be from the server's clock (also how long nonces are remembered). */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;

/** The agent id of a public key: lowercase hex SHA-256 of its SPKI DER. */
const agentIdOfSpki = (spki: Buffer): string => createHash('sha256').update(spki).digest('hex');

export const signingInput = (method: string, path: string, bodySha256: string): Buffer =>
  Buffer.from(`${AGENT_REQUEST_FORMAT}\n${method}\n${path}\n${bodySha256}`, 'utf8');

/** A new agent key pair, the private key as PKCS#8 PEM (the agent stores it admin-only). */
export function generateAgentKey(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
}

/** What an agent signs its requests with, made once from its stored key. */
export class AgentKey {
  readonly spki: Buffer;
  readonly agentId: string;
  private readonly publicKeyHeader: string;

  constructor(private readonly privateKey: KeyObject) {
    if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('An agent key must be an Ed25519 key');
    this.spki = createPublicKey(privateKey).export({ format: 'der', type: 'spki' });
    this.agentId = agentIdOfSpki(this.spki);
    this.publicKeyHeader = this.spki.toString('base64url');
  }

  /** The headers that authenticate `body` sent with `method` to `path`. */
  headers(method: string, path: string, bodySha256: string): Record<string, string> {
    const signature = sign(null, signingInput(method, path, bodySha256), this.privateKey);
    return { [AGENT_AUTH_HEADERS.key]: this.publicKeyHeader, [AGENT_AUTH_HEADERS.signature]: signature.toString('base64url') };
  }
}

type AuthRefusal = { code: 'UNAUTHENTICATED' | 'WRONG_AGENT' | 'CLOCK_SKEW' | 'REPLAYED' | 'AGENT_TOO_BUSY'; message: string };

const B64URL = /^[A-Za-z0-9_-]+$/;
const MAX_KEYS_CACHED = 50_000;
const MAX_NONCES = 1_000_000;
/**
 * Requests one agent may make within the skew window (whose nonces are remembered). The
 * reference agent makes a few an hour; the cap keeps one key's flood from filling the shared
 * nonce table, so it limits that agent and no other.
 */
const MAX_REQUESTS_PER_AGENT_WINDOW = 2_000;

/**
 * The server's side: checks a request's signature, that the key is the agent's (id = hash of
 * key), that its time is near the server's, and that its nonce is new. Keys are cached parsed,
 * so a fleet's worth of agents costs one createPublicKey each, not one per request.
 */
export class RequestAuthenticator {
  private readonly keys = new Map<string, KeyObject>();
  /** `${agentId}:${nonce}` -> epoch ms after which it may be forgotten. */
  private readonly nonces = new Map<string, { until: number; agentId: string }>();
  /** Remembered nonces per agent. */
  private readonly perAgent = new Map<string, number>();

  constructor(private readonly perAgentLimit = MAX_REQUESTS_PER_AGENT_WINDOW) {}

  check(input: { headers: Record<string, string | string[] | undefined>; method: string; path: string; bodySha256: string; agentId: string; nonce: string; sentAt: string; now: Date }): AuthRefusal | null {
    const keyHeader = input.headers[AGENT_AUTH_HEADERS.key];
    const signatureHeader = input.headers[AGENT_AUTH_HEADERS.signature];
    if (typeof keyHeader !== 'string' || typeof signatureHeader !== 'string' || keyHeader.length > 200 || signatureHeader.length > 200 || !B64URL.test(keyHeader) || !B64URL.test(signatureHeader))
      return { code: 'UNAUTHENTICATED', message: 'The request is not signed with an agent key. Update the agent.' };
    const spki = Buffer.from(keyHeader, 'base64url');
    // The id is the key's hash: a key that is not this agent's can never speak for it.
    if (agentIdOfSpki(spki) !== input.agentId) return { code: 'WRONG_AGENT', message: 'The agent id is not the one of the key that signed the request.' };
    let key = this.keys.get(input.agentId);
    if (!key) {
      try {
        key = createPublicKey({ key: spki, format: 'der', type: 'spki' });
      } catch {
        return { code: 'UNAUTHENTICATED', message: 'The agent key is not a valid public key.' };
      }
      if (key.asymmetricKeyType !== 'ed25519') return { code: 'UNAUTHENTICATED', message: 'The agent key is not an Ed25519 key.' };
      if (this.keys.size >= MAX_KEYS_CACHED) this.keys.delete(this.keys.keys().next().value!);
      this.keys.set(input.agentId, key);
    }
    if (!verify(null, signingInput(input.method, input.path, input.bodySha256), key, Buffer.from(signatureHeader, 'base64url')))
      return { code: 'UNAUTHENTICATED', message: 'The request signature does not verify.' };
    const now = input.now.getTime();
    const sentAt = Date.parse(input.sentAt);
    if (!(Math.abs(now - sentAt) <= MAX_CLOCK_SKEW_MS))
      return { code: 'CLOCK_SKEW', message: `The agent's clock is more than ${MAX_CLOCK_SKEW_MS / 60_000} minutes away from the server's. Correct the clock of the agent's computer.` };
    const nonceKey = `${input.agentId}:${input.nonce}`;
    if (this.nonces.has(nonceKey)) return { code: 'REPLAYED', message: 'This request was received before.' };
    if ((this.perAgent.get(input.agentId) ?? 0) >= this.perAgentLimit) this.sweep(now);
    if ((this.perAgent.get(input.agentId) ?? 0) >= this.perAgentLimit)
      return { code: 'AGENT_TOO_BUSY', message: `This agent sent more than ${this.perAgentLimit} requests within ${MAX_CLOCK_SKEW_MS / 60_000} minutes; try again later.` };
    if (this.nonces.size >= MAX_NONCES) this.sweep(now);
    if (this.nonces.size >= MAX_NONCES) return { code: 'AGENT_TOO_BUSY', message: 'The server is receiving too many requests to tell new ones from repeated ones; try again later.' };
    this.nonces.set(nonceKey, { until: sentAt + MAX_CLOCK_SKEW_MS, agentId: input.agentId });
    this.perAgent.set(input.agentId, (this.perAgent.get(input.agentId) ?? 0) + 1);
    if (this.nonces.size % 4096 === 0) this.sweep(now);
    return null;
  }

  private lastSweep = -Infinity;

  /** Forgets expired nonces; at most once a second, so refusing a flood stays cheap. */
  private sweep(now: number): void {
    if (now - this.lastSweep < 1000) return;
    this.lastSweep = now;
    for (const [nonce, entry] of this.nonces) {
      if (entry.until >= now) continue;
      this.nonces.delete(nonce);
      const left = (this.perAgent.get(entry.agentId) ?? 1) - 1;
      if (left > 0) this.perAgent.set(entry.agentId, left);
      else this.perAgent.delete(entry.agentId);
    }
  }
}
