/**
 * Every bad input from the issue: a clear one-line error, the right exit code, and the store
 * unchanged byte for byte (only the audit log may grow). Real files, real mounts, and a real
 * second process holding the lock; the command is the CLI's own main function run in this
 * process (test/cli/in-process.ts), since none of this depends on the process it runs in.
 * test/cli/cli.test.ts runs refusals through bin/ as separate processes.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawn } from 'node:child_process';
import { mkdir, readFile, writeFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import unzipper from 'unzipper';
import { messageLines } from '../helpers/cli.js';
import { runInProcess as cli, type InProcessResult as CliResult } from '../cli/in-process.js';
import { snapshotTree, tempDir } from '../helpers/temp.js';
import { backupOf, storeWithCertificate } from '../helpers/fixtures.js';
import { rawZip, type RawEntry } from '../helpers/raw-zip.js';
import forge from 'node-forge';
import { createSelfSignedCertificate } from '../../core/pki/certificate.js';
import { testPrivateKey } from '../helpers/test-keys.js';

const pw = 'the backup password';
let root: string;
let store: string;
let goodZip: string;
let goodEntries: Map<string, Buffer>;

beforeAll(async () => {
  root = await tempDir();
  store = join(root, 'store');
  await storeWithCertificate(store, pw);
  goodZip = join(root, 'good.zip');
  await backupOf(store, pw, goodZip);
  const dir = await unzipper.Open.file(goodZip);
  goodEntries = new Map(await Promise.all(dir.files.map(async (f) => [f.path, await f.buffer()] as [string, Buffer])));
});

/** Runs the command against the store and asserts it changed nothing. */
async function refused(args: string[], expectedCode: number, message?: RegExp): Promise<CliResult> {
  const before = await snapshotTree(store);
  const r = await cli(args, { dataDir: store });
  expect(r.code, `${args.join(' ')}\n${r.stderr}`).toBe(expectedCode);
  const lines = messageLines(r.stderr);
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^certificatemanager: /);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  if (message) expect(r.stderr).toMatch(message);
  expect(await snapshotTree(store)).toEqual(before);
  return r;
}

async function file(name: string, data: Buffer | string): Promise<string> {
  const path = join(root, name);
  await writeFile(path, data);
  return path;
}

const entries = (overrides: Partial<Record<string, Buffer>> = {}, extra: RawEntry[] = []): RawEntry[] => [
  ...[...goodEntries].map(([name, data]) => ({ name, data: overrides[name] ?? data, deflate: true })),
  ...extra,
];

/**
 * A PFX built by node-forge, which (unlike our encoder) will package any key with any
 * certificate: exactly what a hostile or careless export looks like.
 */
async function pfx(name: string, privateKey: import('node:crypto').KeyObject, certificate: Buffer): Promise<string> {
  const key = forge.pki.privateKeyFromPem(privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
  const cert = forge.pki.certificateFromAsn1(forge.asn1.fromDer(certificate.toString('binary')));
  const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], pw, { algorithm: '3des', count: 2048 });
  return file(name, Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
}

describe('restore refuses bad input cleanly and changes nothing', () => {
  it('wrong password: exit 3', async () => {
    await refused(['-r', 'not the password', goodZip], 3, /password/i);
    await refused(['-re', 'not the password', goodZip], 3);
  });

  it('empty file, not a zip, a missing file: exit 4', async () => {
    await refused(['-r', pw, await file('empty.zip', '')], 4, /empty/);
    await refused(['-r', pw, await file('text.zip', 'this is not a zip at all')], 4);
    await refused(['-r', pw, join(root, 'does-not-exist.zip')], 4);
  });

  it('truncated zip at several lengths: exit 4', async () => {
    const good = await readFile(goodZip);
    for (const fraction of [0.1, 0.5, 0.9, 0.99]) await refused(['-r', pw, await file(`trunc-${fraction}.zip`, good.subarray(0, Math.floor(good.length * fraction)))], 4);
  });

  it.each(['../x', '..\\x', '/etc/passwd', 'C:\\Windows\\x', 'sub/../../x', 'certificate.p12/../../x'])('entry named %j: exit 4', async (name) => {
    await refused(['-r', pw, await file('hostile.zip', rawZip(entries({}, [{ name, data: Buffer.from('x') }])))], 4, /dangerous name/);
  });

  it('duplicate entry names: exit 4', async () => {
    await refused(['-r', pw, await file('dup.zip', rawZip(entries({}, [{ name: 'certificate.p12', data: goodEntries.get('certificate.p12')! }])))], 4, /twice/);
  });

  it('zip bomb: an entry that declares far more than a certificate needs, and one that lies and inflates past its cap', async () => {
    await refused(['-r', pw, await file('bomb1.zip', rawZip(entries().map((e) => (e.name === 'certificate.cer' ? { ...e, declaredSize: 2_000_000_000 } : e))))], 4, /size/);
    const bomb = Buffer.alloc(20 * 1024 * 1024);
    await refused(['-r', pw, await file('bomb2.zip', rawZip(entries().map((e) => (e.name === 'certificate.cer' ? { ...e, data: bomb, declaredSize: 100 } : e))))], 4);
  });

  it('manifest hashes that do not match: exit 4', async () => {
    const cer = Buffer.from(goodEntries.get('certificate.cer')!);
    cer[cer.length - 5]! ^= 0xff;
    await refused(['-r', pw, await file('hash.zip', rawZip(entries({ 'certificate.cer': cer })))], 4, /manifest/);
    const history = Buffer.from(goodEntries.get('history.json')!.toString().replace('"replaced": []', '"replaced": [ ]'));
    await refused(['-r', pw, await file('hash2.zip', rawZip(entries({ 'history.json': history })))], 4, /manifest/);
  });

  it('an unexpected extra entry and a zip without a manifest: exit 4', async () => {
    await refused(['-r', pw, await file('extra.zip', rawZip(entries({}, [{ name: 'readme.txt', data: Buffer.from('hi') }])))], 4);
    await refused(['-r', pw, await file('nomanifest.zip', rawZip(entries().filter((e) => e.name !== 'manifest.json')))], 4);
  });

  it('a PKCS#12 whose key does not match its certificate: exit 4', async () => {
    const a = testPrivateKey();
    const b = testPrivateKey();
    const certOfB = createSelfSignedCertificate({ privateKey: b, commonName: 'b' });
    await refused(['-r', pw, await pfx('mismatch.pfx', a, certOfB)], 4, /belongs to its private key/);
  });

  it('an expired certificate: exit 4', async () => {
    const k = testPrivateKey();
    const old = createSelfSignedCertificate({ privateKey: k, commonName: 'old', validityDays: 30, now: new Date('2020-01-01T00:00:00Z') });
    await refused(['-r', pw, await pfx('expired.pfx', k, old)], 4, /expired/);
  });

  it('an RSA-1024 key: exit 4', async () => {
    const k = testPrivateKey(1024);
    await refused(['-r', pw, await pfx('rsa1024.pfx', k, createSelfSignedCertificate({ privateKey: k, commonName: 'weak' }))], 4, /2048/);
  });

  it('a damaged PKCS#12 inside an otherwise consistent zip is caught by the manifest first', async () => {
    const p12 = Buffer.from(goodEntries.get('certificate.p12')!);
    p12[100]! ^= 1;
    await refused(['-r', pw, await file('p12.zip', rawZip(entries({ 'certificate.p12': p12 })))], 4);
  });
});

describe('backup refuses bad destinations', () => {
  it('a missing output folder: exit 4, nothing written', async () => {
    await refused(['-b', pw, join(root, 'no', 'such', 'folder', 'a.zip')], 4, /does not exist/);
  });

  it('a read-only output folder: exit 4', async () => {
    const ro = join(root, 'readonly');
    await mkdir(ro);
    let mounted = false;
    if (process.getuid?.() === 0) {
      // root ignores mode bits; a read-only mount is what stops it.
      try {
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=64k', 'tmpfs', ro], { stdio: 'ignore' });
        mounted = true;
      } catch {
        console.warn('read-only folder test: cannot mount a read-only tmpfs here; using mode bits');
      }
    }
    if (!mounted) execFileSync('chmod', ['0500', ro]);
    try {
      if (!mounted && process.getuid?.() === 0) return; // root without mount: mode bits mean nothing
      await refused(['-b', pw, join(ro, 'a.zip')], 4, /cannot be written/);
    } finally {
      if (mounted) execFileSync('umount', [ro]);
    }
  });
});

describe('a store locked by another running certificatemanager', () => {
  it('exit 5 for -c and -r, checked before the password', async () => {
    const holder = spawn(process.execPath, [new URL('../helpers/hold-lock.mjs', import.meta.url).pathname, store], { stdio: ['pipe', 'pipe', 'inherit'] });
    await new Promise<void>((resolve) => holder.stdout!.once('data', () => resolve()));
    try {
      await refused(['-c', 'a new password 123'], 5, /Another CertificateManager/);
      await refused(['-r', 'wrong password', goodZip], 5);
    } finally {
      holder.stdin!.end();
      await new Promise((resolve) => holder.on('close', resolve));
    }
    // Released: the same command now works.
    expect((await cli(['-r', pw, goodZip], { dataDir: store })).code).toBe(0);
  });
});

describe('a full disk', () => {
  it('-c on a full disk exits 1 with a one-line "disk is full" and leaves the old state', async () => {
    if (process.getuid?.() !== 0) return void console.warn('full-disk test skipped: needs root to mount a small tmpfs');
    const small = join(root, 'small');
    await mkdir(small);
    try {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', small], { stdio: 'ignore' });
    } catch {
      return void console.warn('full-disk test skipped: cannot mount tmpfs here');
    }
    try {
      const tiny = join(small, 'store');
      await storeWithCertificate(tiny, pw);
      // Fill the disk, leaving a few hundred bytes.
      const filler = join(small, 'filler');
      try {
        await writeFile(filler, Buffer.alloc(1024 * 1024));
      } catch {
        /* ENOSPC: the disk is now full */
      }
      const before = await snapshotTree(tiny);
      const r = await cli(['-c', 'a new password 123', '--key-size', '2048'], { dataDir: tiny });
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toMatch(/disk (that holds the file )?is full/i);
      expect(messageLines(r.stderr)).toHaveLength(1);
      expect(await snapshotTree(tiny)).toEqual(before);
      await rm(filler);
      expect((await cli(['status'], { dataDir: tiny })).code).toBe(0);
    } finally {
      execFileSync('umount', [small]);
    }
  });
});
