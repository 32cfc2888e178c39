/**
 * The drop-in CLI end to end: every command under test is a real process, on a real store in a
 * temp folder, with real files; the checks of the store between commands read it in process.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { X509Certificate, createHash } from 'node:crypto';
import { join } from 'node:path';
import { cli as testStrengthCli, fullStrengthCli, messageLines } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { statusJson } from './in-process.js';

// These are the suite's full-strength end-to-end runs: bin/certificatemanager.js itself, with
// production key stretching (600,000 iterations), as an admin runs it.
const cli = fullStrengthCli;

let root: string;
let store: string;
const pw = 'correct horse battery staple';

beforeAll(async () => {
  root = await tempDir();
  store = join(root, 'store');
});

/**
 * The store's state as `status --json` reports it, read through the CLI's main in this process:
 * the checks between commands need no process of their own (the first test and the summary test
 * run status itself as a process).
 */
const status = (dataDir = store) => statusJson(dataDir);

describe('certificatemanager, in the order an admin uses it', () => {
  it('status on an empty store says there is no certificate yet', async () => {
    const r = await cli(['status', '--json'], { dataDir: store });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).hasCertificate).toBe(false);
    expect((await cli(['-b', pw, join(root, 'x.zip')], { dataDir: store })).code).toBe(5);
  });

  it('-g generates an RSA-3072 self-signed server authentication certificate, valid three years', async () => {
    const r = await cli(['-g', pw, '--json'], { dataDir: store });
    expect(r.code, r.stderr).toBe(0);
    const s = await status();
    expect(s.current).toMatchObject({ keyAlgorithm: 'RSA', keySize: 3072, exportable: true, version: 1, source: 'generated' });
    expect(s.current.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    const years = (Date.parse(s.current.notAfter) - Date.parse(s.current.notBefore)) / (365 * 86400e3);
    expect(years).toBeGreaterThan(2.99);
    expect(years).toBeLessThan(3.01);
    // An automatic backup protected by the password exists in the data folder.
    const out = JSON.parse(r.stdout);
    expect(out.backupPath.startsWith(join(store, 'backups'))).toBe(true);
    expect((await cli(['verify-backup', pw, out.backupPath], { dataDir: store })).code).toBe(0);
  });

  it('-g refuses when a certificate exists (exit 5), before looking at the password', async () => {
    const r = await cli(['-g', 'x'], { dataDir: store });
    expect(r.code).toBe(5);
    expect(messageLines(r.stderr)).toHaveLength(1);
  });

  it('the private key file is readable by its owner only', async () => {
    const gens = await readdir(join(store, 'generations'));
    const key = join(store, 'generations', gens.at(-1)!, 'key.pem');
    expect((await stat(key)).mode & 0o777).toBe(0o600);
    expect((await stat(join(store, 'generations', gens.at(-1)!))).mode & 0o777).toBe(0o700);
  });

  it('-e exports the public certificate as DER, matching the status fingerprint', async () => {
    const out = join(root, 'agent.cer');
    expect((await cli(['-e', out], { dataDir: store })).code).toBe(0);
    const der = await readFile(out);
    expect(createHash('sha256').update(der).digest('hex')).toBe((await status()).current.fingerprintSha256);
    expect(new X509Certificate(der).checkHost('nonexistent.invalid')).toBeUndefined();
  });

  it('-b then verify-backup then -r restores the same certificate into a fresh store', async () => {
    const zip = join(root, 'a.zip');
    const b = await cli(['-b', pw, zip], { dataDir: store });
    expect(b.code, b.stderr).toBe(0);
    const v = await cli(['verify-backup', pw, zip, '--json'], { dataDir: store });
    expect(v.code, v.stderr).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ format: 'backup-zip', sameAsCurrent: true });
    const fresh = join(root, 'fresh');
    const r = await cli(['-r', pw, zip], { dataDir: fresh });
    expect(r.code, r.stderr).toBe(0);
    expect((await status(fresh)).current.fingerprintSha256).toBe((await status()).current.fingerprintSha256);
  });

  it('a password given as "-" is read from standard input', async () => {
    // Through a real pipe; the key stretching is not what this is about (test strength).
    const zip = join(root, 'stdin.zip');
    expect((await testStrengthCli(['-b', '-', zip], { dataDir: store, stdin: pw + '\r\n' })).code).toBe(0);
    expect((await testStrengthCli(['verify-backup', '-', zip], { dataDir: store, stdin: pw + '\n' })).code).toBe(0);
    expect((await testStrengthCli(['verify-backup', '-', zip], { dataDir: store, stdin: 'wrong password\n' })).code).toBe(3);
  });

  it('-re restores with the key not exportable, and a later -b refuses with exit 5', async () => {
    const other = join(root, 'nonexportable');
    expect((await cli(['-re', pw, join(root, 'a.zip')], { dataDir: other })).code).toBe(0);
    expect((await status(other)).current.exportable).toBe(false);
    const r = await cli(['-b', 'another password', join(root, 'never.zip')], { dataDir: other });
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/not exportable/);
    await expect(stat(join(root, 'never.zip'))).rejects.toThrow();
  });

  it('-c renews: new key and certificate, the old one kept as replaced, a rotation published, an automatic backup under the new password', async () => {
    const before = await status();
    const r = await cli(['-c', 'brand new password 2026', '--json'], { dataDir: store });
    expect(r.code, r.stderr).toBe(0);
    const after = await status();
    expect(after.current.fingerprintSha256).not.toBe(before.current.fingerprintSha256);
    expect(after.current).toMatchObject({ version: 2, source: 'renewed', exportable: true });
    expect(after.replaced.map((x: { fingerprintSha256: string }) => x.fingerprintSha256)).toEqual([before.current.fingerprintSha256]);
    const { backupPath } = JSON.parse(r.stdout);
    expect((await cli(['verify-backup', 'brand new password 2026', backupPath], { dataDir: store })).code).toBe(0);
    expect((await cli(['verify-backup', pw, backupPath], { dataDir: store })).code).toBe(3);
    const state = JSON.parse(await readFile(join(store, 'generations', (await readdir(join(store, 'generations'))).sort().at(-1)!, 'state.json'), 'utf8'));
    expect(state.rotations).toHaveLength(1);
  });

  it('restoring the pre-renewal backup is refused: agents have moved on (exit 4, nothing changes)', async () => {
    const before = await status();
    const r = await cli(['-r', pw, join(root, 'a.zip')], { dataDir: store });
    expect(r.code).toBe(4);
    expect(await status()).toEqual(before);
  });

  it('status prints a readable summary and the audit log never holds a password', async () => {
    const r = await cli(['status'], { dataDir: store });
    expect(r.stdout).toMatch(/Fingerprint:/);
    expect(r.stdout).toMatch(/Replaced:/);
    const audit = await readFile(join(store, 'audit.jsonl'), 'utf8');
    expect(audit).not.toContain(pw);
    expect(audit).not.toContain('brand new password');
    expect(audit.trim().split('\n').length).toBeGreaterThanOrEqual(4);
  });

  it('--help lists every flag with examples; usage errors exit 2 with one line', async () => {
    const h = await cli(['--help']);
    for (const flag of ['-b', '-r', '-re', '-c', '-e', '-g', 'status', 'verify-backup', 'Examples', 'Exit codes']) expect(h.stdout).toContain(flag);
    const u = await cli(['-b', 'only-password']);
    expect(u.code).toBe(2);
    expect(messageLines(u.stderr)).toHaveLength(1);
  });

  it('new backup passwords shorter than 8 characters are refused (exit 2)', async () => {
    expect((await cli(['-b', 'short', join(root, 's.zip')], { dataDir: store })).code).toBe(2);
  });

  it('a wrong password for -r exits 3 and leaves the store as it was', async () => {
    await writeFile(join(root, 'dummy'), '');
    const fresh = join(root, 'fresh');
    const before = await status(fresh);
    expect((await cli(['-r', 'not the password', join(root, 'a.zip')], { dataDir: fresh })).code).toBe(3);
    expect(await status(fresh)).toEqual(before);
  });

  it('arguments in the wrong order never echo the password', async () => {
    const secret = 'MyS3cret-Passw0rd';
    const swapped = await cli(['-r', join(root, 'a.zip'), secret, '--json'], { dataDir: join(root, 'swapped') });
    expect(swapped.code).toBe(2);
    expect(swapped.stderr + swapped.stdout).toMatch(/password comes first/);
    expect(swapped.stderr + swapped.stdout).not.toContain(secret);
    const verify = await cli(['verify-backup', join(root, 'a.zip'), secret], { dataDir: store });
    expect(verify.code).toBe(2);
    expect(verify.stderr).not.toContain(secret);
    const dashed = await cli(['-b', join(root, 'x.zip'), `--${secret}`], { dataDir: store });
    expect(dashed.code).toBe(2);
    expect(dashed.stderr).not.toContain(secret);
  });
});
