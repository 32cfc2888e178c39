/**
 * What an agent trusts, and the only place it changes (after python-tuf's TrustedMetadataSet):
 * the certificate, its version, the certificates replaced, the replay counters and the last
 * verified feed head. A TrustState can only be made by this module (create, parse, and the
 * transitions below); it is frozen, and every transition returns a new state that is checked
 * before it exists. Persisting it is the caller's job, as one document in one atomic write
 * (serialize), so a crash leaves the old state or the new one, never half of each.
 *
 * The rules, all enforced here:
 * - the key moves only forward, through verified cross-signed rotation steps (rotate); a
 *   replaced certificate is never trusted again;
 * - replay counters belong to the key that signed the messages they count: a rotation starts
 *   them afresh, so numbers a replaced (possibly stolen) key signed bind nothing afterwards;
 * - within one key, a kind's counter only grows (accept, acceptHead);
 * - the last verified head (its seq, lifetime and when it was verified) only moves forward;
 * - the version label of the trusted certificate is learnt only from something the trusted key
 *   signed (a head, or a rotation statement): learnVersionFromHead / learnVersionFromChain.
 *   It may be relabelled (a server set up again from a .pfx restarts its numbering), but that
 *   never changes which key is trusted, and rollback is refused by fingerprint, not by number.
 */
import { z } from 'zod';
import { TrustError } from './errors.js';
import { checkShape, parseJsonText } from './codec.js';
import { parseCertificate } from './certificate.js';
import { recordSeq, type ReplayState } from './replay.js';
import { isSignedBy, parseRotationStatement, verifyParsedRotationStep, type ParsedRotationStatement, type RotationStep } from './rotation.js';
import { DEFAULT_MAX_ROTATION_STEPS, MESSAGE_KINDS } from './profile.js';
import type { VerifiedMessage } from './message.js';

/** The last feed head verified with the trusted key: what freshness is judged by. */
export interface VerifiedHead {
  readonly seq: number;
  /** The head's own lifetime in seconds (exp - iat): how long a head may go unrenewed. */
  readonly lifetimeSeconds: number;
  /** The agent's clock when it verified the head. */
  readonly verifiedAt: string;
}

const FORMAT = 'cm-trust-state/2';
const FORMAT_V1 = 'cm-trust-state/1';
const hex64 = z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits');
const safeInt = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
/** Far above any real history; bounds what a damaged state file can make the agent hold. */
const MAX_REPLACED = 4096;
/** Statements handed to rotate in one call. */
const MAX_STATEMENTS = 4096;

const common = {
  version: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  certificate: z.string().min(1).max(16 * 1024),
  fingerprintSha256: hex64,
  replaced: z.array(hex64).max(MAX_REPLACED),
  lastSeq: z.partialRecord(z.enum(MESSAGE_KINDS), safeInt),
};
const stateSchema = z.discriminatedUnion('format', [
  z.strictObject({ format: z.literal(FORMAT_V1), ...common }),
  z.strictObject({
    format: z.literal(FORMAT),
    ...common,
    /** The fingerprint whose messages lastSeq counts (always the trusted one; stored so a reader can check it). */
    seqSigner: hex64,
    versionKnown: z.boolean(),
    lastHead: z.strictObject({ seq: safeInt, lifetimeSeconds: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER), verifiedAt: z.iso.datetime() }).nullable(),
  }),
]);

interface Fields {
  version: number;
  certificate: Buffer;
  fingerprintSha256: string;
  replaced: readonly string[];
  lastSeq: ReplayState;
  versionKnown: boolean;
  lastHead: VerifiedHead | null;
}

/** Only this module holds it, so only this module can call the constructor. */
const MINT = Symbol('TrustState');

export class TrustState {
  /** The version label of the trusted certificate (1 for the first one an agent is given). */
  readonly version: number;
  /** DER of the one certificate the agent trusts now. */
  readonly certificate: Buffer;
  readonly fingerprintSha256: string;
  /** Fingerprints of the certificates rotated away from, oldest first; never trusted again. */
  readonly replaced: readonly string[];
  /** Per kind, the last seq accepted from the trusted key (and from no other key). */
  readonly lastSeq: ReplayState;
  /** False after `--trust`/`import-cert` (a .cer carries no version) until the trusted key said which. */
  readonly versionKnown: boolean;
  readonly lastHead: VerifiedHead | null;

  private constructor(mint: symbol, fields: Fields) {
    if (mint !== MINT) throw new TypeError('A TrustState is made by core/trust/trust-state.ts only');
    this.version = fields.version;
    this.certificate = fields.certificate;
    this.fingerprintSha256 = fields.fingerprintSha256;
    this.replaced = Object.freeze([...fields.replaced]);
    this.lastSeq = Object.freeze({ ...fields.lastSeq });
    this.versionKnown = fields.versionKnown;
    this.lastHead = fields.lastHead && Object.freeze({ ...fields.lastHead });
    Object.freeze(this);
  }

  private with(change: Partial<Fields>): TrustState {
    return new TrustState(MINT, { ...this.fields(), ...change });
  }

  private fields(): Fields {
    const { version, certificate, fingerprintSha256, replaced, lastSeq, versionKnown, lastHead } = this;
    return { version, certificate, fingerprintSha256, replaced, lastSeq, versionKnown, lastHead };
  }

  /** Provisioning: the certificate an agent is installed with (version 1 unless told otherwise). */
  static create(certificate: Buffer, options: { version?: number; versionKnown?: boolean } = {}): TrustState {
    const version = options.version ?? 1;
    if (!Number.isSafeInteger(version) || version < 1) throw new TrustError('malformed', 'The trusted version is not a positive whole number');
    const cert = parseCertificate(certificate, 'The trusted certificate');
    return new TrustState(MINT, { version, certificate: cert.der, fingerprintSha256: cert.fingerprintSha256, replaced: [], lastSeq: {}, versionKnown: options.versionKnown ?? true, lastHead: null });
  }

  /**
   * Reads a stored state, re-deriving what can be derived: a state that lies about itself is
   * 'malformed'. A cm-trust-state/1 file (before this module kept the version flag) is read with
   * its version unknown: the agent asks the trusted key again, which is always safe.
   */
  static parse(json: string): TrustState {
    const doc = checkShape(stateSchema, parseJsonText(json, 'The trust state'), 'The trust state');
    const der = Buffer.from(doc.certificate, 'base64');
    if (der.toString('base64') !== doc.certificate) throw new TrustError('malformed', 'The trust state certificate is not canonical base64');
    const cert = parseCertificate(der, 'The trust state certificate');
    if (cert.fingerprintSha256 !== doc.fingerprintSha256) throw new TrustError('malformed', 'The trust state fingerprint does not match its certificate');
    if (new Set(doc.replaced).size !== doc.replaced.length || doc.replaced.includes(cert.fingerprintSha256))
      throw new TrustError('malformed', 'The trust state lists a replaced certificate twice, or lists the current one as replaced');
    if (doc.format === FORMAT && doc.seqSigner !== cert.fingerprintSha256) throw new TrustError('malformed', 'The trust state counts sequence numbers of another key than the trusted one');
    const v2 = doc.format === FORMAT ? doc : null;
    return new TrustState(MINT, {
      version: doc.version,
      certificate: cert.der,
      fingerprintSha256: cert.fingerprintSha256,
      replaced: doc.replaced,
      lastSeq: doc.lastSeq,
      versionKnown: v2?.versionKnown ?? false,
      lastHead: v2?.lastHead ?? null,
    });
  }

  serialize(): string {
    const doc: z.infer<typeof stateSchema> = {
      format: FORMAT,
      version: this.version,
      certificate: this.certificate.toString('base64'),
      fingerprintSha256: this.fingerprintSha256,
      replaced: [...this.replaced],
      seqSigner: this.fingerprintSha256,
      lastSeq: { ...this.lastSeq },
      versionKnown: this.versionKnown,
      lastHead: this.lastHead && { ...this.lastHead },
    };
    return `${JSON.stringify(doc, null, 2)}\n`;
  }

  /** Commits an accepted message's seq (checking again: see replay.ts). Act on the message only after this succeeds. */
  accept(message: Pick<VerifiedMessage, 'kind' | 'seq' | 'signerFingerprintSha256'>): TrustState {
    this.assertSignedByUs(message);
    return this.with({ lastSeq: recordSeq(this.lastSeq, message.kind, message.seq) });
  }

  /** accept() for a feed head, which also renews freshness: the feed was reachable and valid at `verifiedAt`. */
  acceptHead(message: Pick<VerifiedMessage, 'kind' | 'seq' | 'iat' | 'exp' | 'signerFingerprintSha256'>, verifiedAt: Date): TrustState {
    if (message.kind !== 'notification') throw new TrustError('wrong-kind', `A ${message.kind} message is not a feed head`, { kind: message.kind });
    const next = this.accept(message);
    if (this.lastHead && Date.parse(this.lastHead.verifiedAt) > verifiedAt.getTime()) return next; // freshness never moves back
    return next.with({ lastHead: { seq: message.seq, lifetimeSeconds: Math.max(1, message.exp - message.iat), verifiedAt: verifiedAt.toISOString() } });
  }

  /**
   * True when no valid head was verified for longer than a head's lifetime (since `since` when
   * none ever was): the feed is withheld, frozen or broken, and the admin must hear of it.
   */
  isStale(now: Date, since: Date, defaultLifetimeSeconds: number): boolean {
    const from = this.lastHead ? Date.parse(this.lastHead.verifiedAt) : since.getTime();
    const lifetime = this.lastHead?.lifetimeSeconds ?? defaultLifetimeSeconds;
    return now.getTime() - from > lifetime * 1000;
  }

  /** A head the trusted key signed says which version that key's certificate is. */
  learnVersionFromHead(message: Pick<VerifiedMessage, 'kind' | 'signerFingerprintSha256'>, head: { version: number; fingerprintSha256: string }): TrustState {
    this.assertSignedByUs(message);
    if (message.kind !== 'notification' || head.fingerprintSha256 !== this.fingerprintSha256) return this;
    return this.relabel(head.version);
  }

  /**
   * Which version the chain says the trusted certificate is. Needed after `--trust` or
   * `import-cert`, and whenever the server's numbering changed (a server set up again from a
   * bare .pfx calls its certificate version 1). Only a statement that names the trusted
   * certificate AND carries a valid signature by the trusted key is believed; one that names it
   * as `previous` says where the walk starts, so it wins over one that names it as `next`. A
   * chain that names it nowhere changes nothing.
   */
  async learnVersionFromChain(statements: readonly string[]): Promise<TrustState> {
    let asPrevious: number | null = null;
    let asNext: number | null = null;
    for (const text of statements.slice(0, MAX_STATEMENTS)) {
      let parsed: ParsedRotationStatement;
      try {
        parsed = parseRotationStatement(text);
      } catch {
        continue;
      }
      const { payload } = parsed;
      const isPrevious = payload.previous.fingerprintSha256 === this.fingerprintSha256;
      const isNext = payload.next.fingerprintSha256 === this.fingerprintSha256;
      if (!isPrevious && !isNext) continue;
      if (!(await isSignedBy(parsed, this.certificate))) continue;
      if (isPrevious) asPrevious = Math.max(asPrevious ?? 0, payload.previous.version);
      if (isNext) asNext = Math.max(asNext ?? 0, payload.version);
    }
    const version = asPrevious ?? asNext;
    return version === null ? this : this.relabel(version);
  }

  /** Only messages the trusted key signed change this state (the verifier said who signed). */
  private assertSignedByUs(message: Pick<VerifiedMessage, 'kind' | 'signerFingerprintSha256'>): void {
    if (message.signerFingerprintSha256 !== this.fingerprintSha256)
      throw new TrustError('untrusted-key', `A ${message.kind} message signed by another certificate cannot change what this agent trusts`, { thumbprint: message.signerFingerprintSha256 });
  }

  private relabel(version: number): TrustState {
    if (!Number.isSafeInteger(version) || version < 1) throw new TrustError('malformed', 'The trusted version is not a positive whole number');
    if (version === this.version && this.versionKnown) return this;
    return this.with({ version, versionKnown: true });
  }

  /**
   * Walks the rotation chain from the trusted version to the newest version among `statements`
   * (in any order; the feed serves the whole history). Precisely:
   * - statements for versions <= this.version are history and are ignored (not an error);
   * - every version from this.version+1 up to the newest must be reached by a verified step,
   *   else 'chain-broken' (a gap, or a later statement that does not link);
   * - a step to a certificate already replaced is a 'rollback', whatever its version;
   * - two different valid certificates for one version (a fork: the old key signed twice) is
   *   'chain-broken': the agent cannot tell which is real and must not guess;
   * - more than maxSteps steps is 'chain-too-long' (the agent needs re-provisioning).
   * All or nothing: on any failure the error is thrown and the caller keeps its old state.
   * The new state's replay counters start empty: they belong to the new key (see the file comment).
   * Following the same statements twice is a no-op (the second call returns the state as it is).
   */
  async rotate(statements: readonly string[], options: { maxSteps?: number; cache?: WalkCache } = {}): Promise<TrustState> {
    if (!this.versionKnown) return this; // the walk starts at a version only the trusted key can name
    const walk = options.cache ? await options.cache.walk(this, statements, () => walkChain(this, statements, options.maxSteps)) : await walkChain(this, statements, options.maxSteps);
    if (walk.version === this.version) return this;
    return this.with({ ...walk, lastSeq: {} });
  }
}

/** Where a chain walk ends: the certificate, its version and the certificates replaced on the way. */
export type Walk = Pick<Fields, 'version' | 'certificate' | 'fingerprintSha256' | 'replaced'>;

/** Lets agents in one process (the simulator) share chain walks; see core/agent/rotation-cache.ts. */
export interface WalkCache {
  walk(from: TrustState, statements: readonly string[], compute: () => Promise<Walk>): Promise<Walk>;
}

async function walkChain(state: TrustState, statements: readonly string[], maxStepsOption?: number): Promise<Walk> {
  const maxSteps = maxStepsOption ?? DEFAULT_MAX_ROTATION_STEPS;
  if (!Number.isSafeInteger(maxSteps) || maxSteps < 0) throw new RangeError('rotate: maxSteps must be a non-negative integer');
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
  let current: Walk = { version: state.version, certificate: state.certificate, fingerprintSha256: state.fingerprintSha256, replaced: state.replaced };
  if (ahead.size === 0) return current;
  const target = Math.max(...ahead.keys());

  for (let steps = 0; current.version < target; steps++) {
    if (steps >= maxSteps)
      throw new TrustError('chain-too-long', `Reaching version ${target} from ${state.version} takes more than ${maxSteps} steps`, { from: state.version, to: target, maxSteps });
    const step = await chooseStep(ahead.get(current.version + 1) ?? [], current);
    if (current.replaced.includes(step.fingerprintSha256))
      throw new TrustError('rollback', `Version ${step.version} would bring back a certificate that was replaced`, { version: step.version });
    current = { version: step.version, certificate: step.certificate, fingerprintSha256: step.fingerprintSha256, replaced: [...current.replaced, current.fingerprintSha256] };
  }
  return current;
}

async function chooseStep(candidates: readonly ParsedRotationStatement[], current: Walk): Promise<RotationStep> {
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

// The functional names the rest of the code base (backup history, tests) has always used.
export const createTrustState = (certificate: Buffer, options?: { version?: number; versionKnown?: boolean }): TrustState => TrustState.create(certificate, options);
export const parseTrustState = (json: string): TrustState => TrustState.parse(json);
export const serializeTrustState = (state: TrustState): string => state.serialize();
export const recordAccepted = (state: TrustState, message: Pick<VerifiedMessage, 'kind' | 'seq' | 'signerFingerprintSha256'>): TrustState => state.accept(message);
export const followRotations = (state: TrustState, statements: readonly string[], options?: { maxSteps?: number }): Promise<TrustState> => state.rotate(statements, options);
