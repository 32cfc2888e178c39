import { spawnSync } from 'node:child_process';
import { createHash, createHmac, createPrivateKey, randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import forge from 'node-forge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertManagerError } from '../../core/errors.js';
import { buildPfx, type PfxSpec } from '../../core/pki/pkcs12/encode.js';
import * as A from '../../core/pki/pkcs12/asn1.js';
import { bmpPassword, KDF_ID_MAC, pkcs12Kdf } from '../../core/pki/pkcs12/kdf.js';
import { OID, SHA1 } from '../../core/pki/pkcs12/oids.js';
import { decodePkcs12, DEFAULT_ITERATIONS, encodePkcs12, startPkcs12Protection, type Pkcs12Contents } from '../../core/pki/pkcs12/index.js';
import { testPrivateKey } from '../helpers/test-keys.js';

const OPENSSL = '/usr/bin/openssl';
const FAST = { iterations: 2048, macIterations: 4096 };
const UNICODE_PASSWORD = 'pässwörd-日本';

let dir: string;
let n = 0;
const tmp = (name: string) => join(dir, `${++n}-${name}`);

function openssl(args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(OPENSSL, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

interface Identity {
  keyFile: string;
  certFile: string;
  key: KeyObject;
  der: Buffer;
}

function selfSigned(cn: string): Identity {
  const keyFile = tmp(`${cn}.key`);
  const certFile = tmp(`${cn}.pem`);
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-days', '2', '-keyout', keyFile, '-out', certFile]);
  return load(keyFile, certFile);
}

function load(keyFile: string, certFile: string): Identity {
  return { keyFile, certFile, key: createPrivateKey(readFileSync(keyFile)), der: new X509Certificate(readFileSync(certFile)).raw };
}

/** A leaf signed by a CA, with an RSA-2048 key from test/helpers/test-keys.ts. */
function issued(ca: Identity, cn: string): Identity {
  const privateKey = testPrivateKey();
  const keyFile = tmp(`${cn}.key`);
  writeFileSync(keyFile, privateKey.export({ type: 'pkcs8', format: 'pem' }));
  const csr = tmp(`${cn}.csr`);
  const certFile = tmp(`${cn}.pem`);
  openssl(['req', '-new', '-key', keyFile, '-subj', `/CN=${cn}`, '-out', csr]);
  openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', '7', '-days', '2', '-out', certFile]);
  return load(keyFile, certFile);
}

function opensslExport(id: Identity, password: string, extra: string[] = []): Buffer {
  const out = tmp('openssl.p12');
  openssl(['pkcs12', '-export', '-inkey', id.keyFile, '-in', id.certFile, '-out', out, '-passout', `pass:${password}`, ...extra]);
  return readFileSync(out);
}

/** Runs `openssl pkcs12 -in -nodes` on our file; returns the PEM blocks it printed. */
function opensslImport(p12: Buffer, password: string): { key: KeyObject; certs: Buffer[] } {
  const file = tmp('ours.p12');
  writeFileSync(file, p12);
  const { stdout } = openssl(['pkcs12', '-in', file, '-nodes', '-passin', `pass:${password}`]);
  const keyPem = /-----BEGIN PRIVATE KEY-----[\s\S]+?-----END PRIVATE KEY-----/.exec(stdout);
  if (!keyPem) throw new Error(`no key in openssl output:\n${stdout}`);
  const certs = [...stdout.matchAll(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g)].map((m) => new X509Certificate(m[0]).raw);
  return { key: createPrivateKey(keyPem[0]), certs };
}

function opensslInfo(p12: Buffer, password: string): string {
  const file = tmp('info.p12');
  writeFileSync(file, p12);
  const { stdout, stderr } = openssl(['pkcs12', '-info', '-noout', '-in', file, '-passin', `pass:${password}`]);
  return stdout + stderr; // -info writes to stderr
}

const pkcs8 = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'der' });
const sameKey = (a: KeyObject, b: KeyObject) => pkcs8(a).equals(pkcs8(b));

async function failure(p: Promise<unknown>): Promise<CertManagerError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(CertManagerError);
    return e as CertManagerError;
  }
  throw new Error('expected a CertManagerError, got success');
}

/** Rewrites a PFX's DER with node-forge (for hand-made hostile files). */
function patchDer(p12: Buffer, edit: (root: forge.asn1.Asn1) => void): Buffer {
  const root = forge.asn1.fromDer(p12.toString('latin1'));
  edit(root);
  return Buffer.from(forge.asn1.toDer(root).getBytes(), 'latin1');
}
const kids = (node: forge.asn1.Asn1 | undefined): forge.asn1.Asn1[] => node!.value as forge.asn1.Asn1[];
const intBytes = (hex: string) => forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.INTEGER, false, Buffer.from(hex, 'hex').toString('latin1'));

let server: Identity;
let other: Identity;
let ca: Identity;
let leaf: Identity;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'pkcs12-test-'));
  server = selfSigned('server');
  other = selfSigned('other');
  ca = selfSigned('Test CA');
  leaf = issued(ca, 'leaf.example');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encodePkcs12 → decodePkcs12', () => {
  it('round-trips key, certificate, chain and friendly name', async () => {
    const p12 = await encodePkcs12({ privateKey: leaf.key, certificate: leaf.der, chain: [ca.der], friendlyName: 'web server' }, 'secret', FAST);
    const out = await decodePkcs12(p12, 'secret');
    expect(sameKey(out.privateKey, leaf.key)).toBe(true);
    expect(out.certificate.equals(leaf.der)).toBe(true);
    expect(out.chain).toEqual([ca.der]);
    expect(out.friendlyName).toBe('web server');
    expect(out.macAlgorithm).toBe('HMAC-SHA256/PKCS12-KDF/4096');
    expect(out.encryption).toEqual(['PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/2048', 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/2048']);
  });

  it('uses fresh salts and IVs every time', async () => {
    const a = await encodePkcs12({ privateKey: server.key, certificate: server.der }, 'secret', FAST);
    const b = await encodePkcs12({ privateKey: server.key, certificate: server.der }, 'secret', FAST);
    expect(a.equals(b)).toBe(false);
  });

  it('macIterations defaults to twice the PBKDF2 count', async () => {
    const p12 = await encodePkcs12({ privateKey: server.key, certificate: server.der }, 'secret', { iterations: 1000 });
    expect((await decodePkcs12(p12, 'secret')).macAlgorithm).toBe('HMAC-SHA256/PKCS12-KDF/2000');
  });

  it('protects with keys derived before the key existed (generate, renew), once only', async () => {
    // Started first, as generate and renew do while the RSA key is being made.
    const protection = startPkcs12Protection(UNICODE_PASSWORD, FAST);
    const p12 = await encodePkcs12({ privateKey: server.key, certificate: server.der }, protection);
    const out = await decodePkcs12(p12, UNICODE_PASSWORD);
    expect(sameKey(out.privateKey, server.key)).toBe(true);
    expect(out.macAlgorithm).toBe('HMAC-SHA256/PKCS12-KDF/4096');
    expect((await failure(decodePkcs12(p12, 'secret'))).kind).toBe('wrong-password');
    // OpenSSL reads it with the same password (UTF-8 for PBES2, BMPString for the MAC).
    const file = tmp('protected.p12');
    writeFileSync(file, p12);
    expect(openssl(['pkcs12', '-in', file, '-nodes', '-passin', `pass:${UNICODE_PASSWORD}`]).stdout).toContain('BEGIN PRIVATE KEY');
    // A second file from the same salts and IVs is refused, not written.
    await expect(encodePkcs12({ privateKey: server.key, certificate: server.der }, protection)).rejects.toThrow(/used once/);
    // The password is checked when the work starts, not after the key was made.
    expect(() => startPkcs12Protection('', FAST)).toThrow(CertManagerError);
  });

  it('round-trips a unicode password', async () => {
    const p12 = await encodePkcs12({ privateKey: server.key, certificate: server.der }, UNICODE_PASSWORD, FAST);
    expect(sameKey((await decodePkcs12(p12, UNICODE_PASSWORD)).privateKey, server.key)).toBe(true);
  });
});

describe('our files in OpenSSL', () => {
  it('openssl pkcs12 -in -nodes (no -legacy) gets the same key and certificates', async () => {
    const p12 = await encodePkcs12({ privateKey: leaf.key, certificate: leaf.der, chain: [ca.der] }, 'secret', FAST);
    const got = opensslImport(p12, 'secret');
    expect(sameKey(got.key, leaf.key)).toBe(true);
    expect(got.certs).toEqual([leaf.der, ca.der]);
  });

  it('openssl -info shows PBES2/PBKDF2/AES-256-CBC/hmacWithSHA256 and a SHA-256 MAC with our counts', async () => {
    const p12 = await encodePkcs12({ privateKey: server.key, certificate: server.der, friendlyName: 'srv' }, 'secret', { iterations: 3000, macIterations: 7000 });
    const info = opensslInfo(p12, 'secret');
    expect(info).toContain('MAC: sha256, Iteration 7000');
    expect(info).toContain('MAC length: 32, salt length: 16');
    expect(info).toMatch(/PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 3000, PRF hmacWithSHA256/);
    expect(info).toMatch(/Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 3000, PRF hmacWithSHA256/);
    // Bag attributes only show without -noout: both bags carry the name and SHA-1(cert) as localKeyID.
    const file = tmp('attrs.p12');
    writeFileSync(file, p12);
    const { stdout } = openssl(['pkcs12', '-in', file, '-nodes', '-passin', 'pass:secret']);
    const localKeyId = createHash('sha1').update(server.der).digest('hex').toUpperCase().replace(/(..)(?!$)/g, '$1 ');
    expect(stdout.match(/friendlyName: srv/g)).toHaveLength(2);
    expect(stdout.match(new RegExp(`localKeyID: ${localKeyId}`, 'g'))).toHaveLength(2);
  });

  it('with a unicode password', async () => {
    const p12 = await encodePkcs12({ privateKey: server.key, certificate: server.der }, UNICODE_PASSWORD, FAST);
    const got = opensslImport(p12, UNICODE_PASSWORD);
    expect(sameKey(got.key, server.key)).toBe(true);
    expect(got.certs).toEqual([server.der]);
  });

  it('the real defaults: 600,000 PBKDF2-HMAC-SHA256 iterations and a 1,200,000-iteration SHA-256 MAC', async () => {
    expect(DEFAULT_ITERATIONS).toBe(600_000);
    const p12 = await encodePkcs12({ privateKey: server.key, certificate: server.der }, 'secret');
    const info = opensslInfo(p12, 'secret');
    expect(info).toContain('MAC: sha256, Iteration 1200000');
    expect(info).toContain('PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256');
    expect(info).toContain('Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 600000, PRF hmacWithSHA256');
    const out = await decodePkcs12(p12, 'secret');
    expect(out.macAlgorithm).toBe('HMAC-SHA256/PKCS12-KDF/1200000');
    expect(out.encryption).toEqual(['PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/600000', 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/600000']);
  });
});

describe('OpenSSL files in decodePkcs12', () => {
  it('openssl pkcs12 -export default (PBES2 AES-256-CBC, SHA-256 MAC, 2048)', async () => {
    const out = await decodePkcs12(opensslExport(server, 'secret', ['-name', 'from openssl']), 'secret');
    expect(sameKey(out.privateKey, server.key)).toBe(true);
    expect(out.certificate.equals(server.der)).toBe(true);
    expect(out.chain).toEqual([]);
    expect(out.friendlyName).toBe('from openssl');
    expect(out.macAlgorithm).toBe('HMAC-SHA256/PKCS12-KDF/2048');
    expect(out.encryption).toEqual(['PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/2048', 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/2048']);
  });

  it('openssl pkcs12 -export -legacy (RC2-40 certificates, 3DES key, SHA-1 MAC)', async () => {
    const out = await decodePkcs12(opensslExport(server, 'secret', ['-legacy']), 'secret');
    expect(sameKey(out.privateKey, server.key)).toBe(true);
    expect(out.certificate.equals(server.der)).toBe(true);
    expect(out.macAlgorithm).toBe('HMAC-SHA1/PKCS12-KDF/2048');
    expect(out.encryption).toEqual(['pbeWithSHA1And40BitRC2-CBC/2048', 'pbeWithSHA1And3-KeyTripleDES-CBC/2048']);
  });

  it('Windows-style TripleDES-SHA1 (3DES for certificates and key, SHA-1 MAC)', async () => {
    const out = await decodePkcs12(opensslExport(server, 'secret', ['-legacy', '-certpbe', 'PBE-SHA1-3DES', '-keypbe', 'PBE-SHA1-3DES', '-iter', '2000']), 'secret');
    expect(sameKey(out.privateKey, server.key)).toBe(true);
    expect(out.encryption).toEqual(['pbeWithSHA1And3-KeyTripleDES-CBC/2000', 'pbeWithSHA1And3-KeyTripleDES-CBC/2000']);
  });

  it('Windows-style bag attributes (Microsoft CSP name, key usage, machine keyset) are ignored', async () => {
    const extra = ['-CSP', 'Microsoft Enhanced RSA and AES Cryptographic Provider', '-keyex', '-LMK', '-iter', '2000'];
    const p12 = opensslExport(server, 'secret', extra);
    expect(opensslInfo(p12, 'secret')).toContain('MAC: sha256, Iteration 2000');
    const out = await decodePkcs12(p12, 'secret');
    expect(sameKey(out.privateKey, server.key)).toBe(true);
    expect(out.encryption).toEqual(['PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/2000', 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/2000']);
  });

  it('-certpbe NONE (unencrypted certificates)', async () => {
    const out = await decodePkcs12(opensslExport(server, 'secret', ['-certpbe', 'NONE']), 'secret');
    expect(out.certificate.equals(server.der)).toBe(true);
    expect(out.encryption).toEqual(['NONE', 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC/2048']);
  });

  it('-certpbe NONE -keypbe NONE (nothing encrypted, MAC only)', async () => {
    const out = await decodePkcs12(opensslExport(server, 'secret', ['-certpbe', 'NONE', '-keypbe', 'NONE']), 'secret');
    expect(sameKey(out.privateKey, server.key)).toBe(true);
    expect(out.encryption).toEqual(['NONE', 'NONE']);
  });

  it('other PBES2 ciphers and MAC digests (AES-128, 3DES-in-PBES2, SHA-512 MAC)', async () => {
    const out = await decodePkcs12(opensslExport(server, 'secret', ['-certpbe', 'AES-128-CBC', '-keypbe', 'DES-EDE3-CBC', '-macalg', 'sha512']), 'secret');
    expect(sameKey(out.privateKey, server.key)).toBe(true);
    expect(out.macAlgorithm).toBe('HMAC-SHA512/PKCS12-KDF/2048');
    expect(out.encryption).toEqual(['PBES2/PBKDF2-HMAC-SHA256/AES-128-CBC/2048', 'PBES2/PBKDF2-HMAC-SHA256/DES-EDE3-CBC/2048']);
  });

  it('an export with a chain: the leaf is chosen by key match, the CA goes to chain', async () => {
    const out = await decodePkcs12(opensslExport(leaf, 'secret', ['-certfile', ca.certFile]), 'secret');
    expect(out.certificate.equals(leaf.der)).toBe(true);
    expect(out.chain).toEqual([ca.der]);
  });

  it('picks the leaf by key even when the CA comes first and no localKeyId links them', async () => {
    const spec: PfxSpec = { keys: [{ pkcs8: pkcs8(leaf.key) }], certs: [{ der: ca.der }, { der: leaf.der }] };
    const out = await decodePkcs12(await buildPfx(spec, 'secret', FAST), 'secret');
    expect(out.certificate.equals(leaf.der)).toBe(true);
    expect(out.chain).toEqual([ca.der]);
    expect(out.friendlyName).toBeUndefined();
  });

  it('a unicode password set by openssl', async () => {
    const out = await decodePkcs12(opensslExport(server, UNICODE_PASSWORD), UNICODE_PASSWORD);
    expect(sameKey(out.privateKey, server.key)).toBe(true);
    const legacy = await decodePkcs12(opensslExport(server, UNICODE_PASSWORD, ['-legacy']), UNICODE_PASSWORD);
    expect(sameKey(legacy.privateKey, server.key)).toBe(true);
  });

  it('an empty password set by openssl opens with "" (as OpenSSL does)', async () => {
    for (const extra of [[], ['-legacy']]) {
      const out = await decodePkcs12(opensslExport(server, '', extra), '');
      expect(sameKey(out.privateKey, server.key)).toBe(true);
    }
  });

  it('BER as Windows and Java write it (indefinite lengths, chunked OCTET STRINGs)', async () => {
    const p12 = await encodePkcs12({ privateKey: server.key, certificate: server.der }, 'secret', FAST);
    const [version, authInfo, macData] = kids(forge.asn1.fromDer(p12.toString('latin1')));
    const authSafe = Buffer.from(kids(kids(authInfo)[1])[0]!.value as string, 'latin1');
    const der = (node: forge.asn1.Asn1 | undefined) => Buffer.from(forge.asn1.toDer(node!).getBytes(), 'latin1');
    const indefinite = (tag: number, ...parts: Buffer[]) => Buffer.concat([Buffer.from([tag, 0x80]), ...parts, Buffer.from([0, 0])]);
    const chunk = (b: Buffer) => der(forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OCTETSTRING, false, b.toString('latin1')));
    const half = Math.floor(authSafe.length / 2);
    const ber = indefinite(
      0x30,
      der(version),
      indefinite(0x30, der(kids(authInfo)[0]), indefinite(0xa0, indefinite(0x24, chunk(authSafe.subarray(0, half)), chunk(authSafe.subarray(half))))),
      der(macData),
    );
    const out = await decodePkcs12(ber, 'secret');
    expect(sameKey(out.privateKey, server.key)).toBe(true);
  });
});

describe('wrong password', () => {
  const cases: Array<[string, () => Promise<Buffer>]> = [
    ['ours', () => encodePkcs12({ privateKey: server.key, certificate: server.der }, 'secret', FAST)],
    ['openssl default', async () => opensslExport(server, 'secret')],
    ['openssl -legacy', async () => opensslExport(server, 'secret', ['-legacy'])],
  ];
  for (const [name, make] of cases) {
    it(`${name} → wrong-password`, async () => {
      const p12 = await make();
      for (const pw of ['Secret', '', 'secret ', UNICODE_PASSWORD]) {
        const e = await failure(decodePkcs12(p12, pw));
        expect(e.kind).toBe('wrong-password');
        expect(e.code).toBe('WRONG_PASSWORD');
      }
    });
  }
});

describe('unusable contents', () => {
  it('a key with a certificate that is not its own → PKCS12_KEY_MISMATCH', async () => {
    const spec: PfxSpec = { keys: [{ pkcs8: pkcs8(server.key) }], certs: [{ der: other.der }, { der: ca.der }] };
    const e = await failure(decodePkcs12(await buildPfx(spec, 'secret', FAST), 'secret'));
    expect([e.kind, e.code]).toEqual(['bad-input', 'PKCS12_KEY_MISMATCH']);
    expect(e.message).toMatch(/certificate/);
  });

  it('no key → PKCS12_NO_KEY; two keys → PKCS12_SEVERAL_KEYS; no certificate → PKCS12_NO_CERTIFICATE', async () => {
    const noKey = await failure(decodePkcs12(await buildPfx({ keys: [], certs: [{ der: server.der }] }, 'secret', FAST), 'secret'));
    expect(noKey.code).toBe('PKCS12_NO_KEY');
    const two = { keys: [{ pkcs8: pkcs8(server.key) }, { pkcs8: pkcs8(other.key) }], certs: [{ der: server.der }] };
    expect((await failure(decodePkcs12(await buildPfx(two, 'secret', FAST), 'secret'))).code).toBe('PKCS12_SEVERAL_KEYS');
    const noCert = { keys: [{ pkcs8: pkcs8(server.key) }], certs: [] };
    expect((await failure(decodePkcs12(await buildPfx(noCert, 'secret', FAST), 'secret'))).code).toBe('PKCS12_NO_CERTIFICATE');
  });

  it('a damaged key or certificate inside a valid MAC → bad-input', async () => {
    const badKey = { keys: [{ pkcs8: randomBytes(100) }], certs: [{ der: server.der }] };
    expect((await failure(decodePkcs12(await buildPfx(badKey, 'secret', FAST), 'secret'))).code).toBe('PKCS12_BAD_KEY');
    const badCert = { keys: [{ pkcs8: pkcs8(server.key) }], certs: [{ der: server.der.subarray(0, 200) }] };
    expect((await failure(decodePkcs12(await buildPfx(badCert, 'secret', FAST), 'secret'))).code).toBe('PKCS12_BAD_CERTIFICATE');
  });

  it('no MAC (openssl -nomac) → PKCS12_NO_MAC', async () => {
    const e = await failure(decodePkcs12(opensslExport(server, 'secret', ['-nomac']), 'secret'));
    expect([e.kind, e.code]).toEqual(['bad-input', 'PKCS12_NO_MAC']);
  });
});

describe('damaged and hostile input is bad-input, never a raw exception', () => {
  let good: Buffer;
  beforeAll(async () => {
    good = await encodePkcs12({ privateKey: server.key, certificate: server.der }, 'secret', FAST);
  });

  it('empty, random, truncated, trailing garbage, not DER at all', async () => {
    const inputs = [
      Buffer.alloc(0),
      randomBytes(1),
      randomBytes(2000),
      Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n'),
      good.subarray(0, good.length - 1),
      good.subarray(0, 100),
      good.subarray(0, 2),
      Buffer.concat([good, Buffer.from([0])]),
      Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]),
      Buffer.from([0x30, 0x80]),
      readFileSync(server.certFile),
      server.der,
    ];
    for (const input of inputs) {
      const e = await failure(decodePkcs12(input, 'secret'));
      expect(e.kind, `input ${input.subarray(0, 8).toString('hex')}`).toBe('bad-input');
      expect(e.code).toMatch(/^PKCS12_/);
      expect(e.message).not.toMatch(/\n/);
    }
  });

  it('more than 1 MiB → PKCS12_TOO_LARGE', async () => {
    expect((await failure(decodePkcs12(Buffer.alloc(1024 * 1024 + 1), 'secret'))).code).toBe('PKCS12_TOO_LARGE');
  });

  it('a huge MAC iteration count is refused before any work', async () => {
    for (const hex of ['7fffffff', '00989681' /* 10,000,001 */, '0100000000000000' /* 2^56 */, '00ffffffffffffffffffff']) {
      const p12 = patchDer(good, (root) => {
        kids(root)[2]!.value = [kids(kids(root)[2])[0]!, kids(kids(root)[2])[1]!, intBytes(hex)];
      });
      // Refused before any work: running 2^31 iterations first would hit the test's timeout.
      const e = await failure(decodePkcs12(p12, 'secret'));
      expect([e.kind, e.code]).toEqual(['bad-input', 'PKCS12_HOSTILE_ITERATIONS']);
    }
  });

  it('a zero or negative iteration count is malformed', async () => {
    for (const hex of ['00', 'ff', '80000000']) {
      const p12 = patchDer(good, (root) => {
        kids(root)[2]!.value = [kids(kids(root)[2])[0]!, kids(kids(root)[2])[1]!, intBytes(hex)];
      });
      expect((await failure(decodePkcs12(p12, 'secret'))).code).toBe('PKCS12_MALFORMED');
    }
  });

  it('counts above maxIterations are refused, including the PBKDF2 ones', async () => {
    const p12 = await encodePkcs12({ privateKey: server.key, certificate: server.der }, 'secret', { iterations: 5000, macIterations: 100 });
    const e = await failure(decodePkcs12(p12, 'secret', { maxIterations: 4999 }));
    expect(e.code).toBe('PKCS12_HOSTILE_ITERATIONS');
    expect(e.details).toEqual({ where: 'part 1', scheme: 'PBES2/PBKDF2-HMAC-SHA256/AES-256-CBC', count: 5000, work: 5000, max: 4999 });
    await expect(decodePkcs12(p12, 'secret', { maxIterations: 5000 })).resolves.toBeDefined();
  });

  // A file whose only password hashing is a SHA-1 MAC at `count` iterations (the authenticated
  // safe is empty: nothing else to pay for).
  const sha1MacFile = async (password: string, count: number) => {
    const authSafe = A.toDer(A.mkSequence());
    const salt = randomBytes(8);
    const mac = createHmac('sha1', await pkcs12Kdf(SHA1, bmpPassword(password), salt, KDF_ID_MAC, 1, 20)).update(authSafe).digest();
    return A.toDer(
      A.mkSequence(
        A.mkInteger(3),
        A.mkSequence(A.mkOid(OID.data), A.mkExplicit(0, A.mkOctets(authSafe))),
        A.mkSequence(A.mkSequence(A.mkSequence(A.mkOid(OID.sha1), A.mkNull()), A.mkOctets(mac)), A.mkOctets(salt), A.mkInteger(count)),
      ),
    );
  };

  it('the budget is work, not a count: a SHA-1 MAC at the limit is refused before any hashing, naming what it refused', async () => {
    // Each SHA-1 KDF iteration is a node:crypto call, several times the SHA-256 loop's cost: at
    // the default limit such a file took 21 s to refuse a wrong password.
    const e = await failure(decodePkcs12(await sha1MacFile('right', 100_000), 'wrong', { maxIterations: 100_000 }));
    expect([e.kind, e.code]).toEqual(['bad-input', 'PKCS12_HOSTILE_ITERATIONS']);
    expect(e.details).toEqual({ where: 'integrity check (MAC)', scheme: 'HMAC-SHA1', count: 100_000, work: 800_000, max: 100_000 });
    expect(e.message).toMatch(/integrity check \(MAC\) asks for 100000 HMAC-SHA1 password-hashing iterations .*limit of 100000/);
    // An empty password is tried two ways, so its MAC costs twice.
    const empty = await failure(decodePkcs12(await sha1MacFile('', 10_000), '', { maxIterations: 100_000 }));
    expect(empty.details).toMatchObject({ work: 160_000 });
  });

  it('the budget is kept: SHA-256 at the limit and a Windows-style SHA-1 count still open', async () => {
    const p12 = await encodePkcs12({ privateKey: server.key, certificate: server.der }, 'secret', { iterations: 1000, macIterations: 100_000 });
    await expect(decodePkcs12(p12, 'secret', { maxIterations: 100_000 })).resolves.toBeDefined();
    // 2,000 SHA-1 iterations (what Windows writes) is far inside the default budget: wrong password, not hostile.
    expect((await failure(decodePkcs12(await sha1MacFile('right', 2000), 'wrong'))).code).toBe('WRONG_PASSWORD');
  });

  it('many items each under the limit are refused by the total: a 1 kB file cannot cost minutes of CPU', async () => {
    // Sixteen legacy-encrypted parts at 1,000,000 iterations each (each allowed on its own) and a
    // cheap MAC that verifies with the password the sender hands over with the file.
    const password = 'vendor-password';
    const part = () =>
      A.mkSequence(
        A.mkOid(OID.encryptedData),
        A.mkExplicit(0, A.mkSequence(A.mkInteger(0), A.mkSequence(A.mkOid(OID.data), A.mkSequence(A.mkOid(OID.pbeWithSHAAnd3KeyTripleDESCBC), A.mkSequence(A.mkOctets(randomBytes(8)), A.mkInteger(1_000_000))), A.mkImplicitOctets(0, randomBytes(16))))),
      );
    const authSafe = A.toDer(A.mkSequence(...Array.from({ length: 16 }, part)));
    const salt = randomBytes(8);
    const mac = createHmac('sha1', await pkcs12Kdf(SHA1, bmpPassword(password), salt, KDF_ID_MAC, 1, 20)).update(authSafe).digest();
    const pfx = A.toDer(
      A.mkSequence(
        A.mkInteger(3),
        A.mkSequence(A.mkOid(OID.data), A.mkExplicit(0, A.mkOctets(authSafe))),
        A.mkSequence(A.mkSequence(A.mkSequence(A.mkOid(OID.sha1), A.mkNull()), A.mkOctets(mac)), A.mkOctets(salt), A.mkInteger(1)),
      ),
    );
    const e = await failure(decodePkcs12(pfx, password));
    expect([e.kind, e.code]).toEqual(['bad-input', 'PKCS12_HOSTILE_ITERATIONS']);
  });

  it('a hand-built file asking for 2^31-1 PBKDF2 iterations is refused without running them', async () => {
    // Our own encoder at a low count, then the PBKDF2 count of the certificate part raised.
    const p12 = patchDer(good, (root) => {
      const authOctets = kids(kids(root)[1])[1]!;
      const authSafe = forge.asn1.fromDer(kids(authOctets)[0]!.value as string);
      const encryptedData = kids(kids(kids(authSafe)[0])[1])[0]!;
      const pbkdf2Params = kids(kids(kids(kids(kids(kids(encryptedData)[1])[1])[1])[0])[1]);
      pbkdf2Params[1] = intBytes('7fffffff');
      (kids(authOctets)[0]!.value as string) = forge.asn1.toDer(authSafe).getBytes();
    });
    // Refused before any work: running them first would hit the test's timeout.
    const e = await failure(decodePkcs12(p12, 'secret'));
    expect([e.kind, e.code]).toEqual(['bad-input', 'PKCS12_HOSTILE_ITERATIONS']);
  });

  it('an unsupported algorithm → PKCS12_UNSUPPORTED', async () => {
    const p12 = patchDer(good, (root) => {
      const digestAlgorithm = kids(kids(kids(root)[2])[0])[0]!;
      kids(digestAlgorithm)[0] = forge.asn1.create(forge.asn1.Class.UNIVERSAL, forge.asn1.Type.OID, false, forge.asn1.oidToDer('1.2.840.113549.2.5').getBytes());
    });
    expect((await failure(decodePkcs12(p12, 'secret'))).code).toBe('PKCS12_UNSUPPORTED');
  });
});

describe('argument checks', () => {
  it('encodePkcs12 refuses an empty password, bad counts, a public key, and a mismatched certificate', async () => {
    const input = { privateKey: server.key, certificate: server.der };
    expect((await failure(encodePkcs12(input, ''))).code).toBe('PKCS12_EMPTY_PASSWORD');
    expect((await failure(encodePkcs12(input, 'x', { iterations: 0 }))).kind).toBe('usage');
    expect((await failure(encodePkcs12(input, 'x', { iterations: 1.5 }))).kind).toBe('usage');
    expect((await failure(encodePkcs12(input, 'x', { iterations: 6_000_000 }))).kind).toBe('usage'); // MAC would be 12M
    expect((await failure(encodePkcs12(input, 'x', { macIterations: 10_000_001 }))).kind).toBe('usage');
    const publicKey = (await import('node:crypto')).createPublicKey(server.key);
    expect((await failure(encodePkcs12({ privateKey: publicKey, certificate: server.der }, 'x', FAST))).kind).toBe('usage');
    const mismatch = await failure(encodePkcs12({ privateKey: server.key, certificate: other.der }, 'x', FAST));
    expect([mismatch.kind, mismatch.code]).toEqual(['bad-input', 'PKCS12_KEY_MISMATCH']);
    const junk = await failure(encodePkcs12({ privateKey: server.key, certificate: randomBytes(50) }, 'x', FAST));
    expect([junk.kind, junk.code]).toEqual(['bad-input', 'PKCS12_BAD_CERTIFICATE']);
    expect((await failure(encodePkcs12(input, 'bad \ud800 surrogate', FAST))).kind).toBe('usage');
  });

  it('decodePkcs12 refuses a bad maxIterations', async () => {
    expect((await failure(decodePkcs12(Buffer.from([0x30, 0]), 'x', { maxIterations: 0 }))).kind).toBe('usage');
  });

  it('returns the documented shape', async () => {
    const out: Pkcs12Contents = await decodePkcs12(await encodePkcs12({ privateKey: server.key, certificate: server.der }, 'x', FAST), 'x');
    expect(Object.keys(out).sort()).toEqual(['certificate', 'chain', 'encryption', 'macAlgorithm', 'privateKey']);
  });
});
