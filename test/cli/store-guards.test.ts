/**
 * Issue 10, findings 4, 5, 7, 10 and 13: the store's guards, through the CLI's main function
 * (in this process, real files in temp folders, real keys).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { chmod, mkdir, readdir, rm, stat, symlink, utimes, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runInProcess as cli } from './in-process.js';
import { tempDir, snapshotTree } from '../helpers/temp.js';
import { HELP } from '../../core/cli/help.js';
import { messageLines } from '../helpers/cli.js';
const STORE_MARKER = 'CERTIFICATEMANAGER-STORE';

const pw = 'store guards password';
let root: string;
let store: string;

beforeAll(async () => {
  root = await tempDir('cm-guards-');
  store = join(root, 'store');
  const r = await cli(['-g', pw, '--key-size', '2048'], { dataDir: store });
  expect(r.code, r.stderr).toBe(0);
});

const oneLine = (stderr: string) => expect(messageLines(stderr)).toHaveLength(1);

describe('4: nothing is written into the store through an alias of it', () => {
  it('-e, -b and -l through a symlink to the store (or to a folder above it) are refused and change nothing', async () => {
    const link = join(root, 'link-to-store');
    await symlink(store, link);
    const parentLink = join(root, 'link-to-root');
    await symlink(root, parentLink);
    const gen = (await readdir(join(store, 'generations')))[0]!;
    const before = await snapshotTree(store);
    for (const target of [join(link, 'generations', gen, 'key.pem'), join(parentLink, 'store', 'generations', gen, 'state.json'), join(link, 'CURRENT')]) {
      for (const args of [['-e', target], ['-b', pw, `${target}.zip`], ['-l', target]]) {
        const r = await cli(args, { dataDir: store });
        expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(4);
        expect(r.stderr).toContain('inside the certificate store');
        oneLine(r.stderr);
      }
    }
    expect(await snapshotTree(store)).toEqual(before);
    // The store named through the link as --data-dir is the same store: still refused.
    expect((await cli(['-e', join(store, 'generations', gen, 'key.pem')], { dataDir: link })).code).toBe(4);
    // Outside the store, through a link, is fine.
    const outside = join(root, 'out');
    await mkdir(outside);
    expect((await cli(['-e', join(parentLink, 'out', 'agent.cer')], { dataDir: store })).code).toBe(0);
  });
});

describe('5: a store with generations but no CURRENT is damaged, not empty', () => {
  it('status says so with the repair step (exit 1); -g refuses and changes nothing; -r of a backup repairs it', async () => {
    const dataDir = join(root, 'lost-pointer');
    expect((await cli(['-g', pw, '--key-size', '2048'], { dataDir })).code).toBe(0);
    const zip = join(root, 'lost-pointer.zip');
    expect((await cli(['-b', pw, zip], { dataDir })).code).toBe(0);
    await rm(join(dataDir, 'CURRENT'));
    const before = await snapshotTree(dataDir);
    const status = await cli(['status'], { dataDir });
    expect(status.code).toBe(1);
    expect(status.stderr).toMatch(/damaged.*CURRENT is missing.*-r/);
    oneLine(status.stderr);
    const generate = await cli(['-g', pw, '--key-size', '2048'], { dataDir });
    expect(generate.code).toBe(1);
    expect(await snapshotTree(dataDir, (rel) => rel === 'audit.log' || rel === 'audit.jsonl' || rel.startsWith('store.lock') || rel.startsWith('audit.lock'))).toEqual(before);
    expect((await cli(['-r', pw, zip], { dataDir })).code).toBe(0);
    expect((await cli(['status'], { dataDir })).code).toBe(0);
  });
});

describe('7: a store is recognised by its own marker', () => {
  it('a folder that merely has backups/ or settings.json among other files is refused, and left as it was', async () => {
    for (const [name, ours] of [['has-backups', 'backups'], ['has-fleet', 'fleet'], ['has-audit', 'audit.log']] as const) {
      const folder = join(root, name);
      await mkdir(join(folder, 'photos'), { recursive: true, mode: 0o755 });
      await chmod(folder, 0o755);
      if (ours === 'audit.log') await writeFile(join(folder, ours), 'my notes\n');
      else await mkdir(join(folder, ours));
      const before = await snapshotTree(folder);
      const r = await cli(['-g', pw, '--key-size', '2048'], { dataDir: folder });
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr).toContain('not a CertificateManager data folder');
      expect(await snapshotTree(folder)).toEqual(before);
      expect((await stat(folder)).mode & 0o777).toBe(0o755);
    }
  });

  it('a new store gets the marker; a store made before the marker is recognised by its generations and gets it', async () => {
    expect(existsSync(join(store, STORE_MARKER))).toBe(true);
    const legacy = join(root, 'legacy');
    expect((await cli(['-g', pw, '--key-size', '2048'], { dataDir: legacy })).code).toBe(0);
    await rm(join(legacy, STORE_MARKER));
    await writeFile(join(legacy, 'settings.json'), '{}\n');
    expect((await cli(['-c', `${pw} 2`, '--key-size', '2048'], { dataDir: legacy })).code).toBe(0);
    expect(existsSync(join(legacy, STORE_MARKER))).toBe(true);
  });
});

describe('10: every file-system error is one clear line with the documented exit code', () => {
  it('--data-dir naming a file: exit 2 for a change, exit 4 for status, never a raw errno text', async () => {
    const file = join(root, 'a-file');
    await writeFile(file, 'x');
    const g = await cli(['-g', pw], { dataDir: file });
    expect(g.code).toBe(2);
    expect(g.stderr).toContain('is a file, not a folder');
    const s = await cli(['status'], { dataDir: file });
    expect(s.code).toBe(4);
    expect(s.stderr).not.toMatch(/ENOTDIR|Unexpected error/);
    oneLine(s.stderr);
  });

  it('-e into a folder that cannot be written (/sys): exit 1, one line that names the path, no errno text', async () => {
    for (const target of ['/sys/agent.cer']) {
      const r = await cli(['-e', target], { dataDir: store });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toContain(target);
      expect(r.stderr).not.toMatch(/\b(EROFS|EACCES|EPERM|ENOENT)\b|Unexpected error/);
      oneLine(r.stderr);
    }
  });
});

describe('13: the smaller items', () => {
  it('a refused -g or -r on a new --data-dir creates nothing', async () => {
    const fresh = join(root, 'never', 'made');
    expect((await cli(['-g', 'short', '--key-size', '2048'], { dataDir: fresh })).code).toBe(2);
    expect(existsSync(join(root, 'never'))).toBe(false);
    const zip = join(root, 'for-restore.zip');
    expect((await cli(['-b', pw, zip], { dataDir: store })).code).toBe(0);
    expect((await cli(['-r', 'wrong password', zip], { dataDir: fresh })).code).toBe(3);
    expect(existsSync(join(root, 'never'))).toBe(false);
  });

  it('-b <password> -h is a usage error (exit 2), not help with exit 0', async () => {
    for (const args of [['-b', pw, '-h'], ['-b', pw, '--help'], ['-r', pw, '-h']]) {
      const r = await cli(args, { dataDir: store });
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stdout).not.toContain('Usage:');
    }
    expect((await cli(['-h'])).code).toBe(0);
  });

  it('a store.lock dated in the future is stale, not a lock for ever', async () => {
    const dataDir = join(root, 'future-lock');
    expect((await cli(['-g', pw, '--key-size', '2048'], { dataDir })).code).toBe(0);
    await mkdir(join(dataDir, 'store.lock'));
    const future = new Date(Date.now() + 365 * 86400e3);
    await utimes(join(dataDir, 'store.lock'), future, future);
    const r = await cli(['-c', `${pw} 2`, '--key-size', '2048'], { dataDir });
    expect(r.code, r.stderr).toBe(0);
  });

  it('-b starts its key stretching early, yet refuses in the order it always has', async () => {
    // No certificate: said before anything about the password, however short the password.
    const empty = join(root, 'b-empty');
    for (const password of ['short', 'a long enough password']) {
      const r = await cli(['-b', password, join(root, 'b-empty.zip')], { dataDir: empty });
      expect(r.code, r.stderr).toBe(5);
      expect(r.stderr).toContain('no server authentication certificate yet');
      expect(r.stderr).not.toContain('at least 8 characters');
    }
    // A certificate, a password too short: the operation's own message, and no file.
    const dataDir = join(root, 'b-short');
    expect((await cli(['-g', pw, '--key-size', '2048'], { dataDir })).code).toBe(0);
    const r = await cli(['-b', 'short', join(root, 'b-short.zip')], { dataDir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('at least 8 characters');
    expect(existsSync(join(root, 'b-short.zip'))).toBe(false);
  });

  it('--help gives the 8-character minimum and the maximum; length is counted in characters', async () => {
    expect(HELP).toMatch(/8 to 1024 characters/);
    // Four emoji are 8 UTF-16 units but 4 characters: too short.
    const r = await cli(['-g', '😀😀😀😀', '--key-size', '2048'], { dataDir: join(root, 'emoji') });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('at least 8 characters');
    // Eight kana are 8 characters.
    expect((await cli(['-g', 'パスワードです。', '--key-size', '2048'], { dataDir: join(root, 'kana') })).code).toBe(0);
  });
});
