/**
 * The certificate store on disk.
 *
 *   <data-dir>/
 *     CURRENT                      "gen-000042": the one committed generation
 *     generations/gen-000042/      state.json (certificates, history, rotation chain)
 *                                  key.pem    (PKCS#8, administrators only)
 *     backups/                     automatic backups written by generate and renew
 *     audit.jsonl                  the audit trail, one chained entry per line (core/audit; never a password)
 *     audit.log                    the unchained log of versions before it, kept as it was
 *     settings.json
 *
 * A change is a transaction: the next generation's folder is claimed (made under a temporary
 * name with its writer's note inside, then renamed into place), written in full, flushed, and
 * only then made current by atomically replacing CURRENT.
 * A crash before that last rename leaves the old state; after it, the new one. Earlier
 * generations are never deleted, so no key the admin had is lost. Writers hold the
 * inter-process lock (lock.ts); readers need none.
 */
import { mkdir, readFile, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { CertManagerError, usageError, wrongState } from '../errors.js';
import { IsoTime } from '../schemas.js';
import { privateKeyFromPem } from '../pki/keys.js';
import { pathIdentity, renameWithRetry, syncDirectory, tempSibling, writeFileDurable, removeStaleTemporaries } from './durable-fs.js';
import { restrictToAdministrators } from './permissions.js';
import { thisProcess } from './process-probe.js';
import { destroyReplacedKeys } from './retired-keys.js';
import { openKeyAtRest, protectKeyAtRest } from '../platform/dpapi.js';

const Base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);

const StoreStateSchema = z.object({
  formatVersion: z.literal(1),
  current: z.object({
    certificateDer: Base64,
    exportable: z.boolean(),
    version: z.number().int().positive(),
    installedAt: IsoTime,
    source: z.enum(['generated', 'restored', 'imported', 'renewed']),
    /**
     * The CA certificates that issued `certificateDer` (issuer first), as imported with it from
     * a .pfx or a backup; absent for our own self-signed certificates. Every backup writes them,
     * so a CA-issued certificate's backup verifies and restores on its own.
     */
    chainDer: z.array(Base64).max(16).optional(),
  }),
  replaced: z.array(z.object({ certificateDer: Base64, version: z.number().int().positive(), replacedAt: IsoTime })),
  /** Rotation statements, oldest first: statement i moves trust from version i+1 to i+2. */
  rotations: z.array(z.string()),
});
export type StoreState = z.infer<typeof StoreStateSchema>;

declare const checked: unique symbol;
/**
 * A new generation that has been read back completely (core/ops/validate-generation.ts, the only
 * maker of this type): commitStore takes nothing else, so no operation can skip the check.
 */
export type CheckedGeneration = { readonly state: StoreState; readonly privateKeyPem: string; readonly [checked]: true };

export interface StoreSnapshot {
  dataDir: string;
  generation: number;
  state: StoreState;
}

const CURRENT = 'CURRENT';
const GENERATIONS = 'generations';
const generationName = (n: number) => `gen-${String(n).padStart(6, '0')}`;
const GENERATION_PATTERN = /^gen-(\d{6,})$/;

export const storePaths = (dataDir: string) => ({
  current: join(dataDir, CURRENT),
  generations: join(dataDir, GENERATIONS),
  generation: (n: number) => join(dataDir, GENERATIONS, generationName(n)),
  backups: join(dataDir, 'backups'),
  audit: join(dataDir, 'audit.jsonl'),
  settings: join(dataDir, 'settings.json'),
});

function damaged(what: string, cause?: unknown): CertManagerError {
  return new CertManagerError('internal', 'STORE_DAMAGED', `The certificate store is damaged (${what}). Restore the certificate from a backup with -r.`, {}, { cause });
}

/** The committed state, or null when no certificate was ever installed. Takes no lock. */
export async function readStore(dataDir: string): Promise<StoreSnapshot | null> {
  const paths = storePaths(dataDir);
  let pointer: string;
  try {
    pointer = (await readFile(paths.current, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    // No pointer but committed generations: the pointer was lost (deleted by hand, a cleaner,
    // a bad copy), not a store that never had a certificate. Reporting it as empty would let
    // -g make an unrelated v1 that no agent trusts; the generations may hold the key they do.
    const newest = await newestCompleteGeneration(dataDir);
    if (newest === null) return null;
    throw new CertManagerError(
      'internal',
      'STORE_DAMAGED',
      `The certificate store is damaged (CURRENT is missing, but ${generationName(newest)} exists). Restore the newest backup with -r <password> <backup.zip>, or write "${generationName(newest)}" into ${paths.current}.`,
      { generation: generationName(newest) },
    );
  }
  const match = GENERATION_PATTERN.exec(pointer);
  if (!match) throw damaged('CURRENT does not name a generation');
  const generation = Number(match[1]);
  let raw: string;
  try {
    raw = await readFile(join(paths.generation(generation), 'state.json'), 'utf8');
  } catch (error) {
    throw damaged(`${pointer}/state.json is missing`, error);
  }
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    throw damaged(`${pointer}/state.json is not JSON`, error);
  }
  const parsed = StoreStateSchema.safeParse(json);
  if (!parsed.success) throw damaged(`${pointer}/state.json has an unexpected shape`, parsed.error);
  return { dataDir, generation, state: parsed.data };
}

export async function requireCertificate(dataDir: string): Promise<StoreSnapshot> {
  const snapshot = await readStore(dataDir);
  if (!snapshot)
    throw wrongState('NO_CERTIFICATE', 'There is no server authentication certificate yet. Generate one with -g <password> or restore a backup with -r <password> <file>.');
  return snapshot;
}

export async function loadPrivateKey(snapshot: StoreSnapshot): Promise<KeyObject> {
  let pem: Buffer;
  try {
    pem = await readFile(join(storePaths(snapshot.dataDir).generation(snapshot.generation), 'key.pem'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw damaged('the private key is missing', error);
    throw error;
  }
  try {
    return privateKeyFromPem(await openKeyAtRest(pem.toString('utf8')));
  } catch (error) {
    // The store's own key, not an input file: a restore must be able to replace it.
    throw damaged('the private key cannot be read', error);
  }
}

/**
 * The file that says "this folder is a CertificateManager store". A folder is taken for
 * administrators only (and on Windows, owned by them) only when it has this marker, is empty,
 * or is recognisably a store made before the marker existed.
 */
export const STORE_MARKER = 'CERTIFICATEMANAGER-STORE';
const MARKER_TEXT = 'This folder is a CertificateManager certificate store. Do not delete or move it: every agent trusts the key inside.\n';

/**
 * Creates the data folder if needed, and (re)applies administrators-only permissions on every
 * change: a folder someone else created beforehand, or loosened later, is taken back.
 * Returns the folders it created, outermost first, so a refused operation can take them away.
 */
export async function ensureDataDir(dataDir: string): Promise<string[]> {
  const info = await stat(dataDir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  let created: string[] = [];
  if (info && !info.isDirectory())
    throw usageError('DATA_DIR_NOT_FOLDER', `${dataDir} is a file, not a folder. Check --data-dir (or CERTIFICATEMANAGER_DATA_DIR) and give a folder.`);
  if (!info) {
    const first = await mkdir(dataDir, { recursive: true, mode: 0o700 });
    created = first ? foldersFrom(first, dataDir) : [];
  } else await assertOwnFolder(dataDir);
  await writeFile(join(dataDir, STORE_MARKER), MARKER_TEXT, { flag: 'wx', mode: 0o644 }).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  await restrictToAdministrators(dataDir, 'directory');
  return created;
}

/** `first`, then each folder below it down to `last` (what one recursive mkdir made). */
function foldersFrom(first: string, last: string): string[] {
  const out = [last];
  for (let dir = dirname(last); dir.length >= first.length && dir !== dirname(dir); dir = dirname(dir)) out.unshift(dir);
  return out;
}

/**
 * Undoes ensureDataDir for an operation that was refused on a new folder: the marker and the
 * empty folders it or the operation made. Only empty folders go (rmdir), so nothing else can.
 */
export async function removeUnusedDataDir(created: string[]): Promise<void> {
  const dataDir = created.at(-1);
  if (!dataDir) return;
  const names = await readdir(dataDir).catch(() => null);
  if (!names || names.some((n) => n !== STORE_MARKER && n !== 'backups' && n !== GENERATIONS)) return;
  for (const n of ['backups', GENERATIONS]) await rmdir(join(dataDir, n)).catch(() => undefined);
  await rm(join(dataDir, STORE_MARKER), { force: true });
  for (const dir of [...created].reverse()) if (!(await rmdir(dir).then(() => true, () => false))) return;
}

/** The store lock (lock.ts) and its owner note (owned-lock.ts). */
const LOCK_NAMES = ['store.lock', 'store.lock.owner'];
/** What this product writes at the top of its data folder. */
const OWN_NAMES = new Set([CURRENT, GENERATIONS, STORE_MARKER, ...LOCK_NAMES, 'settings.json', 'backups', 'audit.log', 'audit.jsonl', 'audit.lock', 'fleet']);

/**
 * Taking a folder for administrators only changes its owner and drops inherited permissions
 * (on Windows). A mistyped --data-dir (C:\ProgramData, a share, a home folder) must not get
 * that: an existing folder is used only when it is empty, carries the marker, or is a store
 * made before the marker (recognised by its generations, not by a name any folder may have).
 */
async function assertOwnFolder(dataDir: string): Promise<void> {
  const names = await readdir(dataDir).catch(() => [] as string[]);
  if (names.length === 0 || names.includes(STORE_MARKER)) return;
  if (names.every((n) => OWN_NAMES.has(n) || (n.startsWith('.CURRENT.') && n.endsWith('.tmp'))) && (await looksLikeStore(dataDir, names))) return;
  throw usageError('DATA_DIR_NOT_OURS', `${dataDir} holds other files and is not a CertificateManager data folder. Check --data-dir, or choose a new or empty folder.`);
}

/** A store without the marker: it has a generation with a state file, or only our settings. */
async function looksLikeStore(dataDir: string, names: string[]): Promise<boolean> {
  if (names.includes(GENERATIONS) && (await newestCompleteGeneration(dataDir)) !== null) return true;
  // The app saves its settings before the first certificate exists.
  if (names.every((n) => n === 'settings.json' || LOCK_NAMES.includes(n) || n === 'audit.log' || n === 'audit.jsonl') && names.includes('settings.json'))
    return readFile(join(dataDir, 'settings.json'), 'utf8').then((t) => { const v: unknown = JSON.parse(t); return typeof v === 'object' && v !== null && !Array.isArray(v); }, () => false);
  return false;
}

/**
 * Commits `state` and `privateKeyPem` as the next generation. The caller holds the store lock
 * and passes the snapshot it based its change on (null for an empty store, or 'damaged' when
 * CURRENT or its generation cannot be read and a restore replaces it).
 *
 * The generation folder is claimed already holding its writer note (claimGeneration) and
 * filled in place: a second writer (a bug, or a lock taken over) cannot claim the same number,
 * and on failure only what this call created is removed. Nothing is visible to readers until
 * CURRENT is replaced.
 */
export async function commitStore(
  dataDir: string,
  base: StoreSnapshot | null | 'damaged',
  next: CheckedGeneration,
  guard: () => void = () => undefined,
  /** The audit trail's record of this change (core/audit/log.ts), kept with the generation. */
  auditRecord?: string,
): Promise<StoreSnapshot> {
  StoreStateSchema.parse(next.state);
  const paths = storePaths(dataDir);
  // The caller holds the store lock, which made the data folder administrators-only.
  await mkdir(paths.generations, { recursive: true, mode: 0o700 });

  let generation: number;
  if (base === 'damaged' || base === null) {
    if (base === null && (await readStore(dataDir)) !== null)
      throw wrongState('STORE_CHANGED', 'The certificate store was changed by another program. Run the command again.');
    // Keep every old generation and go past them all. For a damaged store the admin may want
    // what is left of them; for a store without CURRENT (the pointer deleted by hand or by a
    // cleaner), the folders may hold the only copy of a key agents trust.
    await removeStaleTemporaries(paths.generations, '.', thisProcess.isAlive);
    await removeStaleTemporaries(dataDir, '.CURRENT.', thisProcess.isAlive);
    generation = Math.max(0, ...(await existingGenerations(dataDir))) + 1;
  } else {
    const latest = await readStore(dataDir);
    if ((latest?.generation ?? null) !== base.generation)
      throw wrongState('STORE_CHANGED', 'The certificate store was changed by another program. Run the command again.');
    await removeAbandonedGenerations(dataDir, base.generation);
    generation = base.generation + 1;
  }
  const folder = paths.generation(generation);
  // What we created, so that cleaning up never removes a folder of the same name that another
  // writer made after taking a stale lock over (and removing ours as abandoned).
  const claim = await claimGeneration(folder);
  const ours = claim.identity;
  let pointer: string | null = null;
  let committed = false;
  try {
    await restrictToAdministrators(folder, 'directory');
    await writeFileDurable(join(folder, 'key.pem'), await protectKeyAtRest(next.privateKeyPem), 0o600);
    await restrictToAdministrators(join(folder, 'key.pem'), 'file');
    // Before state.json: a generation that is complete (has its state) always has its record.
    if (auditRecord !== undefined) await writeFileDurable(join(folder, 'audit.json'), auditRecord, 0o600);
    await writeFileDurable(join(folder, 'state.json'), JSON.stringify(next.state, null, 2) + '\n', 0o600);
    await syncDirectory(folder);
    await syncDirectory(paths.generations);
    pointer = tempSibling(paths.current);
    await writeFileDurable(pointer, generationName(generation) + '\n', 0o600);
    guard();
    // The commit point.
    await renameWithRetry(pointer, paths.current);
    committed = true;
    await syncDirectory(dataDir);
  } catch (error) {
    // Past our own rename (only flushing the folder failed) the new generation is what readers
    // see: removing it now would leave CURRENT naming nothing. The old generation is still there,
    // so the store is old or new, never a mix.
    claimsInFlight.delete(claim.note);
    if (committed) return { dataDir, generation, state: next.state };
    // A full disk, a permission problem or a lost lock half-way: leave nothing of ours behind.
    // The clean-up's own failure must not hide why the commit failed.
    if (pointer) await rm(pointer, { force: true }).catch(() => undefined);
    if (ours !== null && pathIdentity(folder) === ours) await rm(folder, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    throw error;
  }
  await rm(join(folder, WRITER_NOTE), { force: true }).catch(() => undefined);
  claimsInFlight.delete(claim.note);
  // Past the commit point: the keys this commit (or an earlier, interrupted one) replaced go.
  // Best effort, like the audit line: a failure here must not report the commit as failed.
  await destroyReplacedKeys(paths.generations, { generation, state: next.state }).catch(() => undefined);
  return { dataDir, generation, state: next.state };
}

/** The highest generation that holds a state file (an interrupted commit leaves none). */
async function newestCompleteGeneration(dataDir: string): Promise<number | null> {
  const generations = (await existingGenerations(dataDir)).sort((a, b) => b - a);
  for (const n of generations) if (await stat(join(storePaths(dataDir).generation(n), 'state.json')).then((s) => s.isFile(), () => false)) return n;
  return null;
}

async function existingGenerations(dataDir: string): Promise<number[]> {
  const names = await readdir(storePaths(dataDir).generations).catch(() => [] as string[]);
  return names.map((n) => GENERATION_PATTERN.exec(n)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1]));
}

/** A generation being built names its writer here until it is committed. */
const WRITER_NOTE = '.writer';
/** How long a commit may take between its claim and its commit point, at most (beingBuilt). */
const WRITER_NOTE_LIFETIME_MS = 10 * 60_000;
/** How far ahead of this host's clock a live writer's note can be dated (beingBuilt). */
const WRITER_NOTE_CLOCK_SLACK_MS = 60_000;
/** The writer notes of the claims this process has made and not yet committed or given up. */
const claimsInFlight = new Set<string>();

const beingChanged = () => wrongState('STORE_CHANGED', 'The certificate store is being changed by another program. Run the command again.');

/**
 * Claims the generation folder `folder` with its writer note already in it: the note is written
 * into a temporary folder, which is then renamed to the generation's name. A kill at any moment
 * leaves either a temporary (the next writer removes it) or a folder that names its writer
 * (removed once that process is gone): never a folder that names no one, which writers could
 * not tell from one a live writer had just made, and would have to wait out.
 * Returns the claimed folder's identity (pathIdentity) and its note, which stays in
 * claimsInFlight until the caller is done with the claim.
 */
async function claimGeneration(folder: string): Promise<{ identity: string | null; note: string }> {
  const staging = tempSibling(folder);
  const exists = (path: string) => stat(path).then(() => true, () => false);
  // Which note is ours: another writer's folder under the same name says otherwise.
  const note = JSON.stringify({ pid: thisProcess.pid, hostname: thisProcess.hostname, claim: randomBytes(16).toString('hex') });
  await mkdir(staging, { mode: 0o700 });
  // Which folder is ours if the claim fails before its note is read back.
  const ours = pathIdentity(staging);
  claimsInFlight.add(note);
  try {
    // Who is building this generation: another writer (past a lock bypass) must not remove it
    // as abandoned while this process lives (removeAbandonedGenerations).
    await writeFile(join(staging, WRITER_NOTE), note, { mode: 0o600 });
    // Taken already: refused here, since POSIX lets a rename replace an empty folder. A folder
    // claimed between this check and the rename holds a note, and the rename then fails.
    if (await exists(folder)) throw beingChanged();
    await renameWithRetry(staging, folder);
  } catch (error) {
    // The number taken meanwhile, or our temporary removed (a writer on another host, past a
    // lock bypass): someone else is committing.
    const taken = !(error instanceof CertManagerError) && ((await exists(folder)) || !(await exists(staging)));
    await rm(staging, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    claimsInFlight.delete(note);
    throw taken ? beingChanged() : error;
  }
  // What was renamed into place is the folder we made: our note, with its random claim, is in
  // it (only our staging folder ever held it).
  const placed = await readFile(join(folder, WRITER_NOTE), 'utf8').catch(() => null);
  if (placed !== note) {
    if (pathIdentity(folder) === ours) await rm(folder, { recursive: true, force: true, maxRetries: 3 }).catch(() => undefined);
    claimsInFlight.delete(note);
    throw beingChanged();
  }
  // Taken again after the rename: on FAT and exFAT a folder's file ID changes when it is
  // renamed, and the clean-up compares against what is there now.
  return { identity: pathIdentity(folder), note };
}

/**
 * Whether a generation above CURRENT is being built by a live process right now, not left by
 * an interrupted one: its writer note names a process of this host that still runs (this one
 * included: two commits in one process). A folder without a whole note was left by an
 * interrupted commit of a version that claimed folders before noting itself in them.
 */
async function beingBuilt(folder: string): Promise<boolean> {
  try {
    const text = await readFile(join(folder, WRITER_NOTE), 'utf8');
    const note = JSON.parse(text) as { pid?: unknown; hostname?: unknown };
    if (typeof note.pid !== 'number' || note.hostname !== thisProcess.hostname) return false;
    // This process knows which of its own claims are still being built: one whose commit
    // failed and whose clean-up could not remove it (a scanner holding a file) is a leftover,
    // which would otherwise block this long-lived process (the app) until it restarts.
    if (note.pid === thisProcess.pid) return claimsInFlight.has(text);
    // A note names a process by its PID only, and Windows soon gives a dead writer's PID to
    // another process. A leftover of a crash would then look alive for as long as that process
    // runs (a service: until the next reboot), and every change would be refused until then.
    // A commit writes a few small files between its claim and removing its note: a note older
    // than this is a leftover, whoever has its PID now. So is one dated ahead of this host's
    // clock by more than a minute (the clock set back since a crash): a live writer of this
    // host wrote its note by this clock, and such a note would look fresh until the clock
    // caught up with it.
    const age = Date.now() - (await stat(join(folder, WRITER_NOTE))).mtimeMs;
    if (age > WRITER_NOTE_LIFETIME_MS || age < -WRITER_NOTE_CLOCK_SLACK_MS) return false;
    return thisProcess.isAlive(note.pid);
  } catch {
    return false;
  }
}

/**
 * Generations above CURRENT and temporary files are leftovers of interrupted commits, unless a
 * live writer is building one (past a lock bypass): removing that one would let this commit
 * take its number, and the other's commit point would then name a folder this one owns.
 */
async function removeAbandonedGenerations(dataDir: string, current: number): Promise<void> {
  const paths = storePaths(dataDir);
  await removeStaleTemporaries(paths.generations, '.', thisProcess.isAlive);
  // Only CURRENT's own temporaries: other files here (settings) have writers of their own.
  await removeStaleTemporaries(dataDir, '.CURRENT.', thisProcess.isAlive);
  for (const n of await existingGenerations(dataDir)) {
    if (n <= current) continue;
    if (await beingBuilt(paths.generation(n))) continue;
    // A writer removes its note only after its commit point, so a folder without a live note
    // may be one that another writer (past a lock bypass) has just made current: checked
    // after the note, CURRENT then names it. Removing it would lose that commit and leave
    // CURRENT naming nothing.
    if ((await currentPointer(dataDir)) !== generationName(current)) throw beingChanged();
    await rm(paths.generation(n), { recursive: true, force: true, maxRetries: 3 });
  }
}

/** What CURRENT says right now (trimmed), or null when it cannot be read. */
const currentPointer = (dataDir: string): Promise<string | null> =>
  readFile(storePaths(dataDir).current, 'utf8').then((text) => text.trim(), () => null);

/** readStore for a writer about to replace the state: a damaged store is reported, not thrown. */
export async function readStoreForRepair(dataDir: string): Promise<StoreSnapshot | null | 'damaged'> {
  try {
    return await readStore(dataDir);
  } catch (error) {
    if (error instanceof CertManagerError && error.code === 'STORE_DAMAGED') return 'damaged';
    throw error;
  }
}
