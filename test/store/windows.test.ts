/**
 * The Windows-specific store logic with the platform injected.
 * node:fs/promises.rename and the ACL module are mocked so Windows' behaviour (a rename that
 * fails for a moment with EPERM while an antivirus scanner holds a freshly written file; icacls
 * calls) can be reproduced on Linux.
 */
import { describe, expect, it, beforeAll, afterEach, vi } from 'vitest';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fixtureContext as ctx } from '../helpers/fixtures.js';

const hooks = vi.hoisted(() => ({
  acl: [] as [string, string][],
  /** When set, restrictToAdministrators fails the way execFile(icacls) does for a non-elevated user. */
  icaclsDenied: false,
  /** How many more renames matching `match` fail with `code`. */
  failures: 0,
  match: ((_from: string, _to: string) => false) as (from: string, to: string) => boolean,
  code: 'EPERM',
}));

vi.mock('../../core/store/permissions.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../core/store/permissions.js')>();
  return {
    ...real,
    restrictToAdministrators: vi.fn(async (path: string, kind: string) => {
      hooks.acl.push([path, kind]);
      if (hooks.icaclsDenied)
        throw Object.assign(new Error(`Command failed: C:\\Windows\\System32\\icacls.exe ${path} /setowner *S-1-5-32-544\n${path}: Access is denied.\nSuccessfully processed 0 files; Failed processing 1 files`), { code: 5, killed: false, signal: null, cmd: 'icacls' });
    }),
  };
});

// DPAPI is Windows' own: stood in for by a reversible transform behind the real runner seam, so
// the store's Windows path (protect on write, open on read) runs whole on Linux.
vi.mock('../../core/platform/dpapi.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../core/platform/dpapi.js')>();
  const run = async (_file: string, _args: string[], stdin: string) => Buffer.from(Buffer.from(stdin, 'base64').map((b) => b ^ 0x5a)).toString('base64');
  return {
    ...real,
    protectKeyAtRest: (pem: string) => real.protectKeyAtRest(pem, { platform: process.platform, run }),
    openKeyAtRest: (text: string) => real.openKeyAtRest(text, { platform: process.platform, run }),
  };
});

vi.mock('node:fs/promises', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:fs/promises')>();
  const rename = vi.fn(async (from: string, to: string) => {
    if (hooks.failures > 0 && hooks.match(String(from), String(to))) {
      hooks.failures--;
      throw Object.assign(new Error(`${hooks.code}: operation not permitted, rename '${from}' -> '${to}'`), { code: hooks.code, path: from });
    }
    return real.rename(from, to);
  });
  return { ...real, rename, default: { ...real, rename } };
});

const { generateCertificate, renewCertificate } = await import('../../core/ops/index.js');
const { readStore } = await import('../../core/store/store.js');
const { renameWithRetry } = await import('../../core/store/durable-fs.js');
const { resolveDataDir } = await import('../../core/store/paths.js');
const { tempDir } = await import('../helpers/temp.js');

const pw = 'review password 2026';
let root: string;
const realPlatform = process.platform;
const asWindows = () => Object.defineProperty(process, 'platform', { value: 'win32', configurable: true });

beforeAll(async () => {
  root = await tempDir('cm-win-');
});

afterEach(() => {
  Object.defineProperty(process, 'platform', { value: realPlatform, configurable: true });
  hooks.failures = 0;
  hooks.match = () => false;
  hooks.acl.length = 0;
  hooks.icaclsDenied = false;
});

describe('renameWithRetry (platform injected)', () => {
  it('win32: a rename that fails with EBUSY three times then succeeds is retried', async () => {
    const dir = join(root, 'retry');
    await mkdir(dir);
    const { writeFile, readFile } = await import('node:fs/promises');
    await writeFile(join(dir, 'a'), 'new');
    hooks.failures = 3;
    hooks.code = 'EBUSY';
    hooks.match = () => true;
    await renameWithRetry(join(dir, 'a'), join(dir, 'b'), 'win32');
    expect(await readFile(join(dir, 'b'), 'utf8')).toBe('new');
  });

  it('linux: no retry', async () => {
    hooks.failures = 1;
    hooks.code = 'EBUSY';
    hooks.match = () => true;
    await expect(renameWithRetry(join(root, 'x'), join(root, 'y'), 'linux')).rejects.toMatchObject({ code: 'EBUSY' });
  });
});

describe('the store on Windows', () => {
  it('control: -c succeeds when the CURRENT file rename is refused once with EPERM (renameWithRetry covers files)', async () => {
    const dataDir = join(root, 'file-rename');
    await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    asWindows();
    hooks.code = 'EPERM';
    hooks.failures = 1;
    hooks.match = (_from, to) => to.endsWith('CURRENT');
    await renewCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    expect((await readStore(dataDir))!.state.current.version).toBe(2);
  });

  it('-c succeeds when the new generation folder rename is refused once with EPERM (an antivirus scanner has key.pem open)', async () => {
    // store.ts commitStore renames the staging folder with a plain rename(), not renameWithRetry:
    // a folder rename on Windows fails while any file inside is open, which is the common case
    // right after key.pem was written. The admin gets "Access denied ... Run as an administrator".
    const dataDir = join(root, 'dir-rename');
    await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    asWindows();
    hooks.code = 'EPERM';
    hooks.failures = 1;
    hooks.match = (from) => /[\\/]\.gen-\d+\.[0-9a-f]+\.tmp$/.test(from);
    await renewCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    expect((await readStore(dataDir))!.state.current.version).toBe(2);
  });

  it('a data folder that already existed (made by the installer) still ends up administrators-only for the automatic backup', async () => {
    // ensureDataDir only applies the ACL when it creates the folder, and backups/ is never
    // restricted: on Windows the backup (the key under the backup password) inherits
    // %ProgramData%'s ACL, which lets every local user read it.
    const dataDir = join(root, 'preexisting');
    await mkdir(dataDir);
    asWindows();
    const { backupPath } = await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    const covered = hooks.acl.some(([path]) => path === dataDir || path === join(dataDir, 'backups') || path === backupPath);
    expect(covered, `ACL applied to: ${hooks.acl.map(([p]) => p.slice(dataDir.length)).join(', ')}`).toBe(true);
  });
});

// The not-elevated icacls case is tested on restrictToAdministrators itself, with a real
// failing runner, in test/store/paths-and-permissions.test.ts (mocking the module under test
// here could not fail).

describe('paths.ts with the platform injected', () => {
  it('--data-dir D:\\Data on win32 stays D:\\Data (resolve() of the host OS is used)', () => {
    expect(resolveDataDir('D:\\Data', { platform: 'win32', env: {} })).toBe('D:\\Data');
  });
});
