/**
 * The signed feed: a handful of static files that the built-in server serves from memory and
 * that `publishFeed` / `serve --publish` writes to a folder, so IIS, nginx or a CDN can serve
 * the same bytes. Every file is a plain GET of a fixed or content-addressed path:
 *
 *   index.jws                  the head: a signed `notification` naming the current certificate,
 *                              the notices and every signed document (path, seq, SHA-256, size)
 *   rotations/<fingerprint>.json  the rotation statement leading away from that certificate
 *                              (self-authenticating): agents fetch only the renewals they missed
 *   rotations.json             the newest statements that fit in 4 MiB, for agents from before
 *                              the per-certificate files
 *   certificate.cer            the current certificate, DER (informational)
 *   documents/<seq>.jws        signed `settings` and `hotfix-manifest` messages; never rewritten
 *   content/<sha256>           hotfix content, named by its hash; never rewritten
 *
 * The head is written last, so a mirror never names a document it does not hold yet.
 */
import { createHash, type KeyObject } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, open, readdir, readFile, rename, rm, stat, utimes } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { z } from 'zod';
import { readSettings } from '../store/settings.js';
import { loadPrivateKey, requireCertificate } from '../store/store.js';
import { replaceFileAtomically, syncDirectory, tempSibling } from '../store/durable-fs.js';
import { createContentManifest, fingerprintSha256, parseRotationStatement, signMessage, DEFAULT_TTL_SECONDS, MAX_ROTATION_STATEMENT_BYTES, type Signer } from '../trust/index.js';
import { badInput } from '../errors.js';
import { auditHead } from '../audit/log.js';
import { fleetPaths } from './paths.js';
import { SequenceCounter } from './sequence.js';
import {
  FEED_FILES,
  FEED_FORMAT,
  NoticeSchema,
  ROTATIONS_FORMAT,
  LIMITS,
  contentPath,
  documentPath,
  rotationPath,
  type FeedDocumentRef,
  type FeedHead,
  type FeedSettings,
  type Notice,
} from '../protocol/wire.js';

/** What the server signs with: the store's current generation. */
export interface FeedIdentity {
  generation: number;
  version: number;
  certificate: Buffer;
  fingerprintSha256: string;
  privateKey: KeyObject;
  /** Rotation statements as stored, oldest first. */
  rotations: readonly string[];
}

export async function loadFeedIdentity(dataDir: string): Promise<FeedIdentity> {
  const snapshot = await requireCertificate(dataDir);
  const certificate = Buffer.from(snapshot.state.current.certificateDer, 'base64');
  return {
    generation: snapshot.generation,
    version: snapshot.state.current.version,
    certificate,
    fingerprintSha256: fingerprintSha256(certificate),
    privateKey: await loadPrivateKey(snapshot),
    rotations: snapshot.state.rotations,
  };
}

export const signerOf = (identity: FeedIdentity): Signer => ({ privateKey: identity.privateKey, certificate: identity.certificate });

export interface HotfixContent {
  name: string;
  version: string;
  /** Absolute path of the content on the server. */
  file: string;
  sha256: string;
  size: number;
}

/** What the feed carries besides the certificate chain. */
export interface FeedContent {
  settings: FeedSettings;
  notices: Notice[];
  hotfixes: HotfixContent[];
}

const NoticesFileSchema = z.object({ notices: z.array(NoticeSchema).max(LIMITS.notices) });
const HotfixesFileSchema = z.object({
  hotfixes: z
    .array(
      z.object({
        name: z.string().min(1).max(200),
        version: z.string().min(1).max(64),
        /** Relative to <data-dir>/fleet/hotfixes/. */
        file: z.string().min(1).max(500),
      }),
    )
    .max(LIMITS.documents - 1),
});

async function readJsonFile(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

async function hashFile(path: string): Promise<{ sha256: string; size: number }> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    size += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), size };
}

/**
 * Reads settings.json, fleet/notices.json and fleet/hotfixes.json. A file that is damaged is
 * left out with a warning (the feed keeps being served); a missing one means "none".
 */
export async function loadFeedContent(dataDir: string, warn: (text: string) => void = () => undefined): Promise<FeedContent> {
  const paths = fleetPaths(dataDir);
  const settings = await readSettings(dataDir);
  let notices: Notice[] = [];
  try {
    const raw = await readJsonFile(paths.notices);
    if (raw !== undefined) notices = NoticesFileSchema.parse(raw).notices;
  } catch (error) {
    warn(`${paths.notices} is not valid and was left out: ${(error as Error).message.split('\n')[0]}`);
  }
  const hotfixes: HotfixContent[] = [];
  try {
    const raw = await readJsonFile(paths.hotfixes);
    const root = resolve(paths.hotfixFiles);
    for (const entry of raw === undefined ? [] : HotfixesFileSchema.parse(raw).hotfixes) {
      const file = resolve(root, entry.file);
      if (!file.startsWith(root + sep)) throw badInput('HOTFIX_PATH', `The hotfix file ${entry.file} is outside ${root}.`);
      const hashed = await hashFile(file);
      // Agents refuse content above their limit, on every poll, and stop at that document:
      // publishing it would hold back every later hotfix too.
      if (hashed.size > LIMITS.hotfixBytes) {
        warn(`The hotfix ${entry.name} ${entry.version} (${entry.file}) is ${hashed.size} bytes, more than the ${LIMITS.hotfixBytes} agents take; it was left out.`);
        continue;
      }
      hotfixes.push({ name: entry.name, version: entry.version, file, ...hashed });
    }
  } catch (error) {
    hotfixes.length = 0;
    warn(`${paths.hotfixes} is not valid and was left out: ${(error as Error).message.split('\n')[0]}`);
  }
  return { settings: { logUploadIntervalMinutes: settings.logUploadIntervalMinutes }, notices, hotfixes };
}

export interface FeedFile {
  contentType: string;
  cacheControl: string;
  /** The bytes, or null when the file is served from `file` (hotfix content). */
  body: Buffer | null;
  file: string | null;
  size: number;
  sha256: string;
}

export interface FeedSnapshot {
  /** Relative path -> file. */
  files: ReadonlyMap<string, FeedFile>;
  head: FeedHead;
  headSeq: number;
  publishedAt: Date;
  expiresAt: Date;
  generation: number;
  version: number;
  fingerprintSha256: string;
}

const JOSE = 'application/jose';
const NO_CACHE = 'no-cache';
const IMMUTABLE = 'public, max-age=31536000, immutable';

const sha256Of = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const memoryFile = (body: Buffer, contentType: string, cacheControl: string): FeedFile => ({ contentType, cacheControl, body, file: null, size: body.length, sha256: sha256Of(body) });

interface BuildFeedInput {
  identity: FeedIdentity;
  content: FeedContent;
  counter: SequenceCounter;
  now?: Date;
  ttlSeconds?: number;
  /** The audit log's head now (core/audit/log.ts auditHead), committed to in the signed head. */
  auditHead?: { seq: number; hash: string } | null;
}

/** Signs a complete feed with the identity's key. Documents take their numbers first, the head last. */
export async function buildFeed(input: BuildFeedInput): Promise<FeedSnapshot> {
  const { identity, content, counter } = input;
  const now = input.now ?? new Date();
  const ttlSeconds = input.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  const signer = signerOf(identity);
  const files = new Map<string, FeedFile>();
  const documents: FeedDocumentRef[] = [];

  const addDocument = async (kind: FeedDocumentRef['kind'], payload: unknown) => {
    const seq = await counter.take();
    const jws = Buffer.from(await signMessage(signer, { kind, seq, payload, now, ttlSeconds }), 'ascii');
    const path = documentPath(seq);
    const file = memoryFile(jws, JOSE, IMMUTABLE);
    files.set(path, file);
    documents.push({ kind, path, seq, sha256: file.sha256, size: file.size });
  };

  await addDocument('settings', content.settings);
  for (const hotfix of content.hotfixes) {
    const path = contentPath(hotfix.sha256);
    files.set(path, { contentType: 'application/octet-stream', cacheControl: IMMUTABLE, body: null, file: hotfix.file, size: hotfix.size, sha256: hotfix.sha256 });
    // The URL is relative: agents resolve it against the address they fetched index.jws from.
    await addDocument('hotfix-manifest', createContentManifest({ name: hotfix.name, version: hotfix.version, content: { sha256: hotfix.sha256, size: hotfix.size }, url: path }));
  }

  const head: FeedHead = {
    format: FEED_FORMAT,
    publishedAt: now.toISOString(),
    certificate: { version: identity.version, fingerprintSha256: identity.fingerprintSha256 },
    documents,
    notices: content.notices,
    audit: input.auditHead ?? null,
  };
  const headSeq = await counter.take();
  files.set(FEED_FILES.head, memoryFile(Buffer.from(await signMessage(signer, { kind: 'notification', seq: headSeq, payload: head, now, ttlSeconds }), 'ascii'), JOSE, NO_CACHE));
  for (const [path, body] of rotationFiles(identity.rotations)) files.set(path, memoryFile(body, 'application/json', NO_CACHE));
  files.set(FEED_FILES.rotations, memoryFile(boundedRotationsJson(identity.rotations), 'application/json', NO_CACHE));
  files.set(FEED_FILES.certificate, memoryFile(identity.certificate, 'application/pkix-cert', NO_CACHE));
  return {
    files,
    head,
    headSeq,
    publishedAt: now,
    expiresAt: new Date(Math.floor(now.getTime() / 1000) * 1000 + ttlSeconds * 1000),
    generation: identity.generation,
    version: identity.version,
    fingerprintSha256: identity.fingerprintSha256,
  };
}

/**
 * Each statement as its own file, named by the certificate it leads away from. A statement
 * larger than agents read, or that cannot be read, is left out: the chain then ends there for
 * agents (they see a 404 and go stale), which the admin sees, instead of a feed that fails whole.
 */
function rotationFiles(statements: readonly string[]): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const text of statements) {
    const body = Buffer.from(text, 'utf8');
    if (body.length > MAX_ROTATION_STATEMENT_BYTES) continue;
    try {
      files.set(rotationPath(parseRotationStatement(text).payload.previous.fingerprintSha256), body);
    } catch {
      // unreadable: left out (see above)
    }
  }
  return files;
}

/** rotations.json with the newest statements that fit in LIMITS.rotationsBytes, oldest first. */
function boundedRotationsJson(statements: readonly string[]): Buffer {
  const kept: string[] = [];
  let size = 64; // the wrapper
  for (let i = statements.length - 1; i >= 0; i--) {
    size += Buffer.byteLength(statements[i]!, 'utf8') + 1;
    if (size > LIMITS.rotationsBytes) break;
    kept.unshift(statements[i]!);
  }
  return Buffer.from(`{"format":"${ROTATIONS_FORMAT}","statements":[${kept.join(',')}]}\n`, 'utf8');
}

async function exists(path: string, size: number): Promise<boolean> {
  const info = await stat(path).catch(() => null);
  return info !== null && info.isFile() && info.size === size;
}

/** Writes a file that never changes once written (documents, content): only if absent. */
async function writeImmutable(path: string, file: FeedFile, now: Date): Promise<void> {
  // Touched, so the clean-up below sees it as in use by the newest head.
  if (await exists(path, file.size)) return utimes(path, now, now);
  await mkdir(dirname(path), { recursive: true });
  const temp = tempSibling(path);
  try {
    if (file.body) {
      const handle = await open(temp, 'wx', 0o644);
      try {
        await handle.writeFile(file.body);
        await handle.sync();
      } finally {
        await handle.close();
      }
    } else {
      await copyFile(file.file!, temp);
      const handle = await open(temp, 'r+');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
      const copied = await hashFile(temp);
      if (copied.sha256 !== file.sha256) throw badInput('HOTFIX_CHANGED', `The hotfix file ${file.file} changed while it was being published. Publish again.`);
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
  await syncDirectory(dirname(path));
}

/** The audit log's head for a new feed head; a log that cannot be read (locked too long, damaged) commits to nothing. */
export const auditHeadOrNull = (dataDir: string) => auditHead(dataDir).catch(() => null);

/**
 * Writes a snapshot into a folder for a static web server or a CDN: immutable files first,
 * then rotations.json and certificate.cer, the head last. Documents and content this snapshot
 * does not name are removed once they are older than the messages' lifetime: until then an
 * earlier head, still valid, may name them and an agent may be fetching them.
 */
export async function writeFeed(snapshot: FeedSnapshot, outDir: string): Promise<void> {
  const root = resolve(outDir);
  const now = new Date();
  await mkdir(root, { recursive: true });
  const mutable = [FEED_FILES.rotations, FEED_FILES.certificate, FEED_FILES.head] as string[];
  for (const [path, file] of snapshot.files) if (!mutable.includes(path) && !path.startsWith('rotations/')) await writeImmutable(join(root, path), file, now);
  // Statements: written when new or different (a store set up again may have another chain).
  for (const [path, file] of snapshot.files) {
    if (!path.startsWith('rotations/')) continue;
    const target = join(root, path);
    const existing = await readFile(target).catch(() => null);
    if (existing?.equals(file.body!)) continue;
    await mkdir(dirname(target), { recursive: true });
    await replaceFileAtomically(target, file.body!, 0o644);
  }
  for (const path of mutable) await replaceFileAtomically(join(root, path), snapshot.files.get(path)!.body!, 0o644);
  const lifetimeMs = snapshot.expiresAt.getTime() - snapshot.publishedAt.getTime();
  for (const folder of ['documents', 'content']) {
    const names = await readdir(join(root, folder)).catch(() => [] as string[]);
    for (const name of names) {
      if (snapshot.files.has(`${folder}/${name}`)) continue;
      const info = await stat(join(root, folder, name)).catch(() => null);
      if (info && now.getTime() - info.mtimeMs > lifetimeMs) await rm(join(root, folder, name), { force: true });
    }
  }
}

export interface PublishOptions {
  now?: Date;
  ttlSeconds?: number;
}

/**
 * One-shot publication for a mirror: signs the whole feed with the store's current key
 * (taking numbers from the data directory's counter) and writes it to `outDir`. Run it again
 * after a renewal, a settings change, and before the messages expire (default lifetime 24 h).
 */
export async function publishFeed(dataDir: string, outDir: string, options: PublishOptions = {}): Promise<FeedSnapshot> {
  const identity = await loadFeedIdentity(dataDir);
  const content = await loadFeedContent(dataDir);
  const snapshot = await buildFeed({ identity, content, counter: new SequenceCounter(fleetPaths(dataDir).sequence), auditHead: await auditHeadOrNull(dataDir), ...options });
  await writeFeed(snapshot, outDir);
  return snapshot;
}
