/**
 * Interoperability with OpenSSL 3's own CLI, in both directions: our backups open with
 * `openssl pkcs12` (no -legacy), and PFX files exported by OpenSSL (default and -legacy)
 * restore with -r.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate, createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import unzipper from 'unzipper';
import { fullStrengthCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';

// Full strength: OpenSSL must read what an admin's -b really writes (600,000 iterations).
const cli = fullStrengthCli;

const pw = 'interop password ü';
let root: string;
const openssl = (args: string[], input?: string) => execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
/** `openssl pkcs12 -info` writes its findings to stderr. */
const opensslInfo = (args: string[], input: string) => {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout + r.stderr;
};

beforeAll(async () => {
  root = await tempDir();
});

describe('OpenSSL interoperability', () => {
  it('the PKCS#12 inside a backup opens with openssl pkcs12 (no -legacy) at OWASP-grade stretching', async () => {
    const store = join(root, 'store');
    expect((await cli(['-g', pw], { dataDir: store })).code).toBe(0);
    const zip = join(root, 'a.zip');
    expect((await cli(['-b', pw, zip], { dataDir: store })).code).toBe(0);
    const dir = await unzipper.Open.file(zip);
    const p12 = join(root, 'from-backup.p12');
    await writeFile(p12, await dir.files.find((f) => f.path === 'certificate.p12')!.buffer());
    const info = opensslInfo(['pkcs12', '-in', p12, '-info', '-noout', '-passin', 'stdin'], pw);
    expect(info).toMatch(/MAC: sha256, Iteration 1200000/);
    expect(info).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256/);
    expect(info).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256/);
    const pem = openssl(['pkcs12', '-in', p12, '-nodes', '-passin', 'stdin'], pw);
    expect(pem).toMatch(/BEGIN PRIVATE KEY/);
    const cert = new X509Certificate(pem.slice(pem.indexOf('-----BEGIN CERTIFICATE-----')));
    const status = JSON.parse((await cli(['status', '--json'], { dataDir: store })).stdout);
    expect(createHash('sha256').update(cert.raw).digest('hex')).toBe(status.current.fingerprintSha256);
    // And the public .cer is the same certificate.
    const cer = await dir.files.find((f) => f.path === 'certificate.cer')!.buffer();
    expect(cer.equals(cert.raw)).toBe(true);
  }, 120_000);

  for (const variant of [
    { name: 'default', args: [] as string[] },
    { name: '-legacy', args: ['-legacy'] },
  ]) {
    it(`a PFX from openssl pkcs12 -export ${variant.name} restores with -r`, async () => {
      const dir = join(root, `openssl${variant.name}`);
      openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${dir}.key`, '-out', `${dir}.crt`, '-subj', '/CN=imported.example', '-days', '30']);
      openssl(['pkcs12', '-export', ...variant.args, '-inkey', `${dir}.key`, '-in', `${dir}.crt`, '-out', `${dir}.pfx`, '-passout', 'stdin'], pw);
      const store = join(dir, 'store');
      const r = await cli(['-r', pw, `${dir}.pfx`, '--json'], { dataDir: store });
      expect(r.code, r.stderr).toBe(0);
      const status = JSON.parse(r.stdout);
      expect(status.current.subject).toMatch(/CN=imported\.example/);
      // A bare .pfx carries no rotation history: the store says it was imported, not restored.
      expect(status.current.source).toBe('imported');
      expect((await cli(['status'], { dataDir: store })).stdout).toMatch(/\(imported /);
      const crt = new X509Certificate(openssl(['x509', '-in', `${dir}.crt`]));
      expect(status.current.fingerprintSha256).toBe(createHash('sha256').update(crt.raw).digest('hex'));
      expect((await cli(['-r', 'wrong', `${dir}.pfx`], { dataDir: join(dir, 'other') })).code).toBe(3);
    }, 60_000);
  }

  it('a PFX from OpenSSL with a chain (CA + leaf) restores the leaf', async () => {
    const d = join(root, 'chain');
    openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${d}-ca.key`, '-out', `${d}-ca.crt`, '-subj', '/CN=Test CA', '-days', '30']);
    openssl(['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', `${d}.key`, '-out', `${d}.csr`, '-subj', '/CN=leaf.example']);
    openssl(['x509', '-req', '-in', `${d}.csr`, '-CA', `${d}-ca.crt`, '-CAkey', `${d}-ca.key`, '-CAcreateserial', '-out', `${d}.crt`, '-days', '20']);
    openssl(['pkcs12', '-export', '-inkey', `${d}.key`, '-in', `${d}.crt`, '-certfile', `${d}-ca.crt`, '-out', `${d}.pfx`, '-passout', 'stdin'], pw);
    const r = await cli(['-r', pw, `${d}.pfx`, '--json'], { dataDir: join(d, 'store') });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).current.subject).toMatch(/leaf\.example/);
  }, 60_000);
});
