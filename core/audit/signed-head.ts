/**
 * The log checked against a signed feed head. Every head the server signs commits to the audit
 * log's head at that moment (`audit: {seq, hash}` in its body, core/protocol/wire.ts), and
 * copies of it sit on every mirror and every agent. Someone who can write the data folder can
 * rewrite the log and the generations' records together, but not re-sign a head already handed
 * out without the key: the log must still contain, at that seq, the entry with that hash.
 *
 * The head is verified with the store's own certificates (the current one or one it replaced),
 * as of the time it was signed: it may be long expired, which does not matter here.
 */
import { readFile, stat } from 'node:fs/promises';
import { z } from 'zod';
import { DEFAULT_MAX_MESSAGE_BYTES, isTrustError, sharedVerifier, type VerifiedMessage } from '../trust/index.js';
import { readStore } from '../store/store.js';
import type { AuditTrail } from './log.js';

const HeadBodySchema = z.object({ audit: z.object({ seq: z.number().int().min(1), hash: z.string().regex(/^[0-9a-f]{64}$/) }).nullable().optional() });

interface HeadCheck {
  /** When the head was signed, and the log head it commits to (null: it commits to none). */
  signedAt: string;
  committed: { seq: number; hash: string } | null;
}

/** Thrown (as a one-line reason) when the head itself cannot be trusted as evidence. */
export class HeadNotUsable extends Error {}

/** The head file's text, read only when it is a file no larger than a signed message can be. */
export async function readHeadFile(path: string): Promise<string> {
  const info = await stat(path);
  if (!info.isFile()) throw new HeadNotUsable('it is not a file');
  if (info.size > DEFAULT_MAX_MESSAGE_BYTES) throw new HeadNotUsable(`it is ${info.size} bytes, and a signed feed head is at most ${DEFAULT_MAX_MESSAGE_BYTES}`);
  return (await readFile(path, 'utf8')).trim();
}

/** Verifies a feed head with the store's certificates and returns what it commits to. */
export async function readSignedHead(dataDir: string, jws: string): Promise<HeadCheck> {
  const snapshot = await readStore(dataDir);
  if (!snapshot) throw new HeadNotUsable('there is no certificate in this folder to check a signed head with');
  const certificates = [snapshot.state.current.certificateDer, ...snapshot.state.replaced.map((r) => r.certificateDer)].map((b64) => Buffer.from(b64, 'base64'));
  let iat: number;
  try {
    iat = (JSON.parse(Buffer.from(jws.split('.')[1] ?? '', 'base64url').toString('utf8')) as { iat: number }).iat;
    if (!Number.isSafeInteger(iat)) throw new Error();
  } catch {
    throw new HeadNotUsable('the file is not a signed feed head (index.jws)');
  }
  let message: VerifiedMessage | null = null;
  for (const certificate of certificates) {
    try {
      // As of when it was signed: an old head is still evidence of what the log was then.
      message = sharedVerifier.verify(jws, { certificate, replaced: [], lastSeq: {} }, { kinds: ['notification'], now: new Date(iat * 1000) });
      break;
    } catch (error) {
      if (isTrustError(error, 'untrusted-key')) continue;
      throw new HeadNotUsable(`the head does not verify (${(error as Error).message})`);
    }
  }
  if (!message) throw new HeadNotUsable('the head is not signed by a certificate of this server');
  const body = HeadBodySchema.safeParse(message.body);
  if (!body.success) throw new HeadNotUsable('the head is not a feed head');
  return { signedAt: new Date(message.iat * 1000).toISOString(), committed: body.data.audit ?? null };
}

/** The trail, broken where it contradicts what the head committed to. */
export function checkAgainstHead(trail: AuditTrail, head: HeadCheck): AuditTrail {
  if (trail.broken || !head.committed) return trail;
  const { seq, hash } = head.committed;
  const entry = trail.entries.find((e) => e.seq === seq);
  if (!entry) return { ...trail, broken: { line: Math.min(seq, trail.entries.length + 1), reason: `the log was cut: the feed head signed at ${head.signedAt} names entry ${seq}, which is gone` } };
  if (entry.hash !== hash) return { ...trail, broken: { line: seq, reason: `the log was rewritten: entry ${seq} is not the one the feed head signed at ${head.signedAt} names` } };
  return trail;
}
