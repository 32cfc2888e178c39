/**
 * The invariant of issue #10, enforced in one place (core/ops/validate-generation.ts): a new
 * generation is read back completely (described, key checked, backed up in memory and opened
 * again, chain included) before CURRENT moves; if that fails, the operation is refused with
 * exit 4 and one line, and the store is byte-for-byte what it was.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { generateCertificate, restoreCertificate } from '../../core/ops/index.js';
import { checkGeneration } from '../../core/ops/validate-generation.js';
import { loadPrivateKey, readStore } from '../../core/store/store.js';
import { createSelfSignedCertificate } from '../../core/pki/certificate.js';
import { cli, messageLines } from '../helpers/cli.js';
import { snapshotTree, tempDir } from '../helpers/temp.js';
import { buildCorpus, PFX_PASSWORD } from './openssl-corpus.js';
import { fixtureContext } from '../helpers/fixtures.js';
import { testPrivateKey } from '../helpers/test-keys.js';

let root: string;
const pw = 'gate password 1';

beforeAll(async () => {
  root = await tempDir('cm-gate-');
});

describe('a generation that could not be backed up is never committed', () => {
  it('checkGeneration refuses a key that is not the certificate\'s, and a damaged chain or history certificate', async () => {
    const store = join(root, 'unit');
    await generateCertificate(fixtureContext(store), { password: pw, keySize: 2048 });
    const snapshot = (await readStore(store))!;
    const key = await loadPrivateKey(snapshot);
    const now = new Date();
    await expect(checkGeneration(snapshot.state, key, now)).resolves.toBeTruthy();
    const otherKey = testPrivateKey();
    await expect(checkGeneration(snapshot.state, otherKey, now)).rejects.toMatchObject({ kind: 'bad-input', code: 'CERT_NOT_BACKUP_SAFE' });
    const damagedChain = { ...snapshot.state, current: { ...snapshot.state.current, chainDer: [Buffer.from('not a certificate').toString('base64')] } };
    await expect(checkGeneration(damagedChain, key, now)).rejects.toMatchObject({ code: 'CERT_NOT_BACKUP_SAFE' });
    const damagedHistory = { ...snapshot.state, replaced: [{ certificateDer: Buffer.from('nope').toString('base64'), version: 1, replacedAt: now.toISOString() }] };
    await expect(checkGeneration(damagedHistory, key, now)).rejects.toMatchObject({ code: 'CERT_NOT_BACKUP_SAFE' });
  });

  it('-r of a .pfx whose chain is longer than a backup can hold is refused before anything changes (exit 4, one line)', async () => {
    const dir = join(root, 'long-chain');
    execFileSync('mkdir', ['-p', dir]);
    const [entry] = buildCorpus(dir, [{ name: 'leaf', subject: '/CN=cm.example.co.jp' }]);
    // Seventeen further certificates in the file (a backup holds at most sixteen).
    const privateKey = testPrivateKey();
    const extras = Array.from({ length: 17 }, (_, i) => new X509Certificate(createSelfSignedCertificate({ privateKey, commonName: `extra ${i}` })).toString()).join('');
    writeFileSync(join(dir, 'extras.pem'), extras);
    const pfx = join(dir, 'many.pfx');
    execFileSync('openssl', ['pkcs12', '-export', '-inkey', join(dir, 'leaf.key'), '-in', join(dir, 'leaf.pem'), '-certfile', join(dir, 'extras.pem'), '-out', pfx, '-passout', 'env:P', '-iter', '2048'], {
      env: { ...process.env, P: PFX_PASSWORD },
    });

    const store = join(root, 'gate-store');
    await generateCertificate(fixtureContext(store), { password: pw, keySize: 2048 });
    const before = await snapshotTree(store);
    await expect(restoreCertificate(fixtureContext(store), { path: pfx, password: PFX_PASSWORD, exportable: true })).rejects.toMatchObject({
      kind: 'bad-input',
      code: 'CERT_NOT_BACKUP_SAFE',
    });
    expect(await snapshotTree(store)).toEqual(before);

    const r = await cli(['-r', PFX_PASSWORD, pfx], { dataDir: store });
    expect(r.code).toBe(4);
    expect(messageLines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/not installed.*Nothing was changed/);
    expect(await snapshotTree(store)).toEqual(before);
    expect(entry).toBeTruthy();
  }, 60_000);
});
