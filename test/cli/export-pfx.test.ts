/**
 * export-pfx (issue #14, part 2): a .pfx of the current key, certificate and CA chain for another
 * Windows server. The default profile is our backups' (AES-256/PBKDF2-SHA256); --compat legacy is
 * exactly 3DES + SHA-1 MAC for Windows Server 2016 and older. Real OpenSSL 3 reads both, our own
 * restore reads both, a Japanese friendly name survives, and a key restored with -re is refused.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import unzipper from 'unzipper';
import { messageLines } from '../helpers/cli.js';
import { runInProcess as cli } from './in-process.js';
import { tempDir } from '../helpers/temp.js';
import { buildCorpus, PFX_PASSWORD, type CorpusEntry } from '../corpus/openssl-corpus.js';
import { decodePkcs12 } from '../../core/pki/pkcs12/index.js';

const pw = 'export password 東京 1';
const SUBJECT_CN = '管理サーバー.example.co.jp';
let root: string;
let store: string;
let entry: CorpusEntry;

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');
/** `openssl pkcs12 -info` writes its findings to stderr. */
function openssl(args: string[], input: string) {
  return spawnSync('openssl', args, { input, encoding: 'utf8' });
}
const certsIn = (pem: string) => pem.split('-----BEGIN CERTIFICATE-----').slice(1).map((b) => new X509Certificate('-----BEGIN CERTIFICATE-----' + b.slice(0, b.indexOf('-----END CERTIFICATE-----')) + '-----END CERTIFICATE-----\n').raw);

beforeAll(async () => {
  root = await tempDir();
  [entry] = buildCorpus(root, [{ name: 'jp-chain', subject: `/C=JP/O=株式会社サンプル/CN=${SUBJECT_CN}`, issuer: 'intermediate' }]) as [CorpusEntry];
  store = join(root, 'store');
  const r = await cli(['-r', PFX_PASSWORD, entry.pfx], { dataDir: store });
  expect(r.code, r.stderr).toBe(0);
}, 60_000);

describe('export-pfx, modern profile (the default)', () => {
  let out: string;
  beforeAll(async () => {
    out = join(root, 'modern.pfx');
    // Full strength: the test reads the iteration count an admin's export really carries.
    const r = await cli(['export-pfx', pw, out], { dataDir: store, fullStrength: true });
    expect(r.code, r.stderr).toBe(0);
    expect(messageLines(r.stderr)).toEqual([]);
  }, 60_000);

  it('opens in OpenSSL 3 without -legacy, AES-256/PBKDF2-SHA256, with the key, the leaf and its CA chain', async () => {
    const info = openssl(['pkcs12', '-in', out, '-info', '-noout', '-passin', 'stdin'], pw);
    expect(info.status, info.stderr).toBe(0);
    expect(info.stderr).toMatch(/MAC: sha256/);
    expect(info.stderr).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256/);
    const pem = openssl(['pkcs12', '-in', out, '-nodes', '-passin', 'stdin'], pw);
    expect(pem.status, pem.stderr).toBe(0);
    expect(pem.stdout).toMatch(/BEGIN PRIVATE KEY/);
    expect(certsIn(pem.stdout).map(sha256).sort()).toEqual([entry.leafDer, ...entry.chainDer].map(sha256).sort());
    expect((await stat(out)).mode & 0o077).toBe(0);
  });

  it('restores with our own -r on another machine: same certificate and chain', async () => {
    const r = await cli(['-r', pw, out, '--json'], { dataDir: join(root, 'restored-modern') });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).current.fingerprintSha256).toBe(sha256(entry.leafDer));
    // A bare .pfx brought no rotation history: it is recorded as imported, not restored (#12).
    expect(JSON.parse(r.stdout).current.source).toBe('imported');
    const opened = await decodePkcs12(await readFile(out), pw);
    expect(opened.chain.map(sha256)).toEqual(entry.chainDer.map(sha256));
  });
});

describe('export-pfx --compat legacy', () => {
  let out: string;
  let stderr: string;
  let fileBytes: Buffer;
  beforeAll(async () => {
    out = join(root, 'legacy.pfx');
    const r = await cli(['export-pfx', pw, out, '--compat', 'legacy'], { dataDir: store });
    expect(r.code, r.stderr).toBe(0);
    stderr = r.stderr;
    fileBytes = await readFile(out);
  }, 60_000);

  it('warns in one line that the profile is weaker', () => {
    expect(messageLines(stderr)).toHaveLength(1);
    expect(stderr).toMatch(/warning: .*legacy.*weaker/);
  });

  it('uses exactly 3DES for key and certificates and a SHA-1 MAC (openssl pkcs12 -info -legacy)', () => {
    const info = openssl(['pkcs12', '-in', out, '-info', '-legacy', '-noout', '-passin', 'stdin'], pw);
    expect(info.status, info.stderr).toBe(0);
    const algorithms = info.stderr.split('\n').filter((l) => /^(MAC|PKCS7 Encrypted data|Shrouded Keybag|PKCS7 Data)/.test(l));
    expect(algorithms).toEqual([
      'MAC: sha1, Iteration 2048',
      'MAC length: 20, salt length: 8',
      'PKCS7 Encrypted data: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048',
      'PKCS7 Data',
      'Shrouded Keybag: pbeWithSHA1And3-KeyTripleDES-CBC, Iteration 2048',
    ]);
  });

  it('keeps the Japanese friendly name, the key, the leaf and the chain for OpenSSL', () => {
    const pem = openssl(['pkcs12', '-in', out, '-legacy', '-nodes', '-passin', 'stdin'], pw);
    expect(pem.status, pem.stderr).toBe(0);
    expect(pem.stdout).toMatch(/friendlyName: C=JP, O=.*, CN=/);
    // OpenSSL prints a BMPString's low bytes only, so check the name's UTF-16BE bytes as Windows
    // reads them (the key bag's attributes are outside the encryption).
    expect(fileBytes.includes(Buffer.from(`CN=${SUBJECT_CN}`, 'utf16le').swap16())).toBe(true);
    expect(pem.stdout).toMatch(/BEGIN PRIVATE KEY/);
    expect(certsIn(pem.stdout).map(sha256).sort()).toEqual([entry.leafDer, ...entry.chainDer].map(sha256).sort());
  });

  it('restores with our own -r, and our decoder sees only 3DES and HMAC-SHA1', async () => {
    const opened = await decodePkcs12(await readFile(out), pw);
    expect(opened.encryption).toEqual(['pbeWithSHA1And3-KeyTripleDES-CBC/2048', 'pbeWithSHA1And3-KeyTripleDES-CBC/2048']);
    expect(opened.macAlgorithm).toMatch(/^HMAC-SHA1\//);
    expect(opened.friendlyName).toContain(SUBJECT_CN);
    const r = await cli(['-r', pw, out, '--json'], { dataDir: join(root, 'restored-legacy') });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).current.fingerprintSha256).toBe(sha256(entry.leafDer));
  });

  it('is never the format of our backups: -b still writes AES-256', async () => {
    const zip = join(root, 'after-legacy.zip');
    const b = await cli(['-b', pw, zip], { dataDir: store });
    expect(b.code, b.stderr).toBe(0);
    const p12 = await (await unzipper.Open.file(zip)).files.find((f) => f.path === 'certificate.p12')!.buffer();
    const opened = await decodePkcs12(p12, pw);
    expect(opened.encryption.every((e) => e.startsWith('PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/'))).toBe(true);
    expect(opened.macAlgorithm).toMatch(/^HMAC-SHA256\//);
  }, 60_000);
});

describe('export-pfx refusals', () => {
  it('refuses a key restored as not exportable (-re): exit 5, no file', async () => {
    const locked = join(root, 'not-exportable');
    expect((await cli(['-re', PFX_PASSWORD, entry.pfx], { dataDir: locked })).code).toBe(0);
    const out = join(root, 'never.pfx');
    const r = await cli(['export-pfx', pw, out], { dataDir: locked });
    expect(r.code).toBe(5);
    expect(messageLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/not exportable/);
    await expect(stat(out)).rejects.toThrow();
  });

  it('refuses an unknown --compat value and a destination inside the store (usage 2, bad input 4)', async () => {
    expect((await cli(['export-pfx', pw, join(root, 'x.pfx'), '--compat', 'rc2'], { dataDir: store })).code).toBe(2);
    expect((await cli(['export-pfx', pw, join(store, 'CURRENT')], { dataDir: store })).code).toBe(4);
  });
});
