/**
 * The certificate store on disk.
 *
 *   <data-dir>/
 *     CURRENT                      "gen-000042": the one committed generation
 *     generations/gen-000042/      state.json (certificates, history, rotation chain)
 *                                  key.pem    (PKCS#8, administrators only)
 *     backups/                     automatic backups written by generate and renew
 *     audit.log                    one JSON line per change (never a password)
 *     settings.json
 *
 * A change is a transaction: the next generation is written in full under a temporary name,
 * flushed, renamed into place, and only then made current by atomically replacing CURRENT.
 * A crash before that last rename leaves the old state; after it, the new one. Earlier
 * generations are never deleted, so no key the admin had is lost. Writers hold the
 * inter-process lock (lock.ts); readers need none.
 */
import { mkdir, readFile, readdir, rename, rm, stat, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { CertManagerError, wrongState } from '../errors.js';
import { IsoTime } from '../api/schemas.js';
import { privateKeyFromPem } from '../pki/keys.js';
import { replaceFileAtomically, syncDirectory, writeFileDurable, removeStaleTemporaries } from './durable-fs.js';
import { restrictToAdministrators } from './permissions.js';

const Base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);

export const StoreStateSchema = z.object({
  formatVersion: z.literal(1),
  current: z.object({
    certificateDer: Base64,
    exportable: z.boolean(),
    version: z.number().int().positive(),
    installedAt: IsoTime,
    source: z.enum(['generated', 'restored', 'renewed']),
  }),
  replaced: z.array(z.object({ certificateDer: Base64, version: z.number().int().positive(), replacedAt: IsoTime })),
  /** Rotation statements, oldest first: statement i moves trust from version i+1 to i+2. */
  rotations: z.array(z.string()),
});
export type StoreState = z.infer<typeof StoreStateSchema>;

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
  audit: join(dataDir, 'audit.log'),
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
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
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
  return privateKeyFromPem(pem);
}

/** Creates the data folder (administrators only) if it does not exist yet. */
/**
 * Creates the data folder if needed, and (re)applies administrators-only permissions on every
 * change: a folder someone else created beforehand, or loosened later, is taken back.
 */
export async function ensureDataDir(dataDir: string): Promise<void> {
  const existed = await stat(dataDir).then((s) => s.isDirectory(), () => false);
  if (!existed) await mkdir(dataDir, { recursive: true, mode: 0o700 });
  await restrictToAdministrators(dataDir, 'directory');
}

/**
 * Commits `state` and `privateKeyPem` as the next generation. The caller holds the store lock
 * and passes the snapshot it based its change on; a different CURRENT means a bug or a lock
 * bypass, and nothing is written.
 */
export async function commitStore(dataDir: string, base: StoreSnapshot | null, next: { state: StoreState; privateKeyPem: string }): Promise<StoreSnapshot> {
  StoreStateSchema.parse(next.state);
  const paths = storePaths(dataDir);
  await ensureDataDir(dataDir);
  await mkdir(paths.generations, { recursive: true, mode: 0o700 });

  const latest = await readStore(dataDir);
  if ((latest?.generation ?? null) !== (base?.generation ?? null))
    throw wrongState('STORE_CHANGED', 'The certificate store was changed by another program. Run the command again.');
  await removeAbandonedGenerations(dataDir, latest?.generation ?? 0);

  const generation = (latest?.generation ?? 0) + 1;
  const staging = join(paths.generations, `.${generationName(generation)}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    await mkdir(staging, { mode: 0o700 });
    await restrictToAdministrators(staging, 'directory');
    await writeFileDurable(join(staging, 'key.pem'), next.privateKeyPem, 0o600);
    await restrictToAdministrators(join(staging, 'key.pem'), 'file');
    await writeFileDurable(join(staging, 'state.json'), JSON.stringify(next.state, null, 2) + '\n', 0o600);
    await syncDirectory(staging);
    await rename(staging, paths.generation(generation));
    await syncDirectory(paths.generations);
  } catch (error) {
    // A full disk or a permission problem half-way: leave nothing behind.
    await rm(staging, { recursive: true, force: true });
    await rm(paths.generation(generation), { recursive: true, force: true });
    throw error;
  }
  // The commit point.
  try {
    await replaceFileAtomically(paths.current, generationName(generation) + '\n', 0o600);
  } catch (error) {
    await rm(paths.generation(generation), { recursive: true, force: true });
    throw error;
  }
  return { dataDir, generation, state: next.state };
}

/** Generations above CURRENT and staging folders are leftovers of interrupted commits. */
async function removeAbandonedGenerations(dataDir: string, current: number): Promise<void> {
  const paths = storePaths(dataDir);
  await removeStaleTemporaries(dataDir);
  await removeStaleTemporaries(paths.generations);
  for (const name of await readdir(paths.generations)) {
    const match = GENERATION_PATTERN.exec(name);
    if (match && Number(match[1]) > current) await rm(join(paths.generations, name), { recursive: true, force: true });
  }
}

/** One JSON line per change, for the admin's audit trail. Never receives a password. */
export async function appendAudit(dataDir: string, entry: Record<string, string | number | boolean | null>): Promise<void> {
  await appendFile(storePaths(dataDir).audit, JSON.stringify({ time: new Date().toISOString(), ...entry }) + '\n', { mode: 0o600 });
}
