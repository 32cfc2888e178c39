/**
 * The agent's trust state, modelled on python-tuf's TrustedMetadataSet: one trusted
 * certificate with its version, the fingerprints it replaced, and the replay counters. Every
 * function here is pure and returns a new state; trust only moves forward (a higher version,
 * reached through verified cross-signed steps). Persisting the state is the caller's job.
 */
import { z } from 'zod';
import { TrustError } from './errors.js';
import { checkShape, parseJsonText } from './codec.js';
import { parseCertificate } from './certificate.js';
import { recordSeq, type ReplayState } from './replay.js';
import { parseRotationStatement, verifyParsedRotationStep, type ParsedRotationStatement, type RotationStep } from './rotation.js';
import { DEFAULT_MAX_ROTATION_STEPS, MESSAGE_KINDS } from './profile.js';
import type { VerifiedMessage } from './message.js';

export interface TrustState {
  readonly version: number;
  /** DER of the one certificate the agent trusts now. */
  readonly certificate: Buffer;
  readonly fingerprintSha256: string;
  /** Fingerprints of the certificates rotated away from, oldest first; never trusted again. */
  readonly replaced: readonly string[];
  readonly lastSeq: ReplayState;
}

const FORMAT = 'cm-trust-state/1';
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
/** Far above any real history; bounds what a damaged state file can make the agent hold. */
const MAX_REPLACED = 4096;
/** Statements handed to followRotations in one call (the server's whole history fits easily). */
const MAX_STATEMENTS = 4096;

const trustStateSchema = z.strictObject({
  format: z.literal(FORMAT),
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  certificate: z.string().min(1).max(16 * 1024),
  fingerprintSha256: hex64,
  replaced: z.array(hex64).max(MAX_REPLACED),
  lastSeq: z.partialRecord(z.enum(MESSAGE_KINDS), z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)),
});

/** Provisioning: the certificate an agent is installed with (version 1 unless told otherwise). */
export function createTrustState(certificate: Buffer, options: { version?: number } = {}): TrustState {
  const version = options.version ?? 1;
  if (!Number.isSafeInteger(version) || version < 1) throw new TrustError('malformed', 'The trusted version is not a positive whole number');
  const cert = parseCertificate(certificate, 'The trusted certificate');
  return { version, certificate: cert.der, fingerprintSha256: cert.fingerprintSha256, replaced: [], lastSeq: {} };
}

export function serializeTrustState(state: TrustState): string {
  const doc: z.infer<typeof trustStateSchema> = {
    format: FORMAT,
    version: state.version,
    certificate: state.certificate.toString('base64'),
    fingerprintSha256: state.fingerprintSha256,
    replaced: [...state.replaced],
    lastSeq: { ...state.lastSeq },
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Reads a stored state, re-deriving what can be derived: a state that lies about itself is 'malformed'. */
export function parseTrustState(json: string): TrustState {
  const doc = checkShape(trustStateSchema, parseJsonText(json, 'The trust state'), 'The trust state');
  const der = Buffer.from(doc.certificate, 'base64');
  if (der.toString('base64') !== doc.certificate) throw new TrustError('malformed', 'The trust state certificate is not canonical base64');
  const cert = parseCertificate(der, 'The trust state certificate');
  if (cert.fingerprintSha256 !== doc.fingerprintSha256) throw new TrustError('malformed', 'The trust state fingerprint does not match its certificate');
  if (new Set(doc.replaced).size !== doc.replaced.length || doc.replaced.includes(cert.fingerprintSha256))
    throw new TrustError('malformed', 'The trust state lists a replaced certificate twice, or lists the current one as replaced');
  return { version: doc.version, certificate: cert.der, fingerprintSha256: cert.fingerprintSha256, replaced: doc.replaced, lastSeq: doc.lastSeq };
}

/** Commits an accepted message's seq (checking again: see replay.ts). Act on the message only after this succeeds. */
export function recordAccepted(state: TrustState, message: Pick<VerifiedMessage, 'kind' | 'seq'>): TrustState {
  return { ...state, lastSeq: recordSeq(state.lastSeq, message.kind, message.seq) };
}

/**
 * Walks the rotation chain from the trusted version to the newest version among `statements`
 * (in any order; the feed serves the whole history). Precisely:
 * - statements for versions <= state.version are history and are ignored (not an error);
 *   verifyRotationStep on its own refuses them as 'rollback';
 * - every version from state.version+1 up to the newest must be reached by a verified step,
 *   else 'chain-broken' (a gap, or a later statement that does not link);
 * - a step to a certificate already replaced is a 'rollback', whatever its version;
 * - two different valid certificates for one version (a fork: the old key signed twice) is
 *   'chain-broken': the agent cannot tell which is real and must not guess;
 * - more than maxSteps steps is 'chain-too-long' (the agent needs re-provisioning).
 * All or nothing: on any failure the error is thrown and the caller keeps its old state, since
 * stopping part-way would not let the agent verify the server's current messages anyway.
 * Following the same statements twice is a no-op (the second call returns the state as it is).
 */
export async function followRotations(state: TrustState, statements: readonly string[], options: { maxSteps?: number } = {}): Promise<TrustState> {
  const maxSteps = options.maxSteps ?? DEFAULT_MAX_ROTATION_STEPS;
  if (!Number.isSafeInteger(maxSteps) || maxSteps < 0) throw new RangeError('followRotations: maxSteps must be a non-negative integer');
  if (statements.length > MAX_STATEMENTS)
    throw new TrustError('chain-too-long', `${statements.length} rotation statements were given; at most ${MAX_STATEMENTS} are read`, { count: statements.length });

  const ahead = new Map<number, ParsedRotationStatement[]>();
  const seen = new Set<string>();
  for (const statement of statements) {
    if (seen.has(statement)) continue;
    seen.add(statement);
    const parsed = parseRotationStatement(statement);
    if (parsed.payload.version <= state.version) continue;
    ahead.set(parsed.payload.version, [...(ahead.get(parsed.payload.version) ?? []), parsed]);
  }
  if (ahead.size === 0) return state;
  const target = Math.max(...ahead.keys());

  let current = state;
  for (let steps = 0; current.version < target; steps++) {
    if (steps >= maxSteps)
      throw new TrustError('chain-too-long', `Reaching version ${target} from ${state.version} takes more than ${maxSteps} steps`, { from: state.version, to: target, maxSteps });
    const step = await chooseStep(ahead.get(current.version + 1) ?? [], current);
    if (current.replaced.includes(step.fingerprintSha256))
      throw new TrustError('rollback', `Version ${step.version} would bring back a certificate that was replaced`, { version: step.version });
    current = {
      ...current,
      version: step.version,
      certificate: step.certificate,
      fingerprintSha256: step.fingerprintSha256,
      replaced: [...current.replaced, current.fingerprintSha256],
    };
  }
  return current;
}

async function chooseStep(candidates: readonly ParsedRotationStatement[], current: TrustState): Promise<RotationStep> {
  const next = current.version + 1;
  if (candidates.length === 0) throw new TrustError('chain-broken', `No rotation statement leads to version ${next}`, { version: next });
  const valid: RotationStep[] = [];
  let firstError: unknown;
  for (const candidate of candidates) {
    try {
      valid.push(await verifyParsedRotationStep(candidate, current.certificate, current.version));
    } catch (e) {
      firstError ??= e;
    }
  }
  const [step] = valid;
  if (!step) throw firstError;
  // Two statements may be re-signings of the same step (PSS signatures are randomized); only
  // two different certificates for one version are a fork.
  if (valid.some((v) => v.fingerprintSha256 !== step.fingerprintSha256))
    throw new TrustError('chain-broken', `Two different certificates claim version ${next}`, { version: next });
  return step;
}
