/**
 * Whatever the tool accepts, it can back up, and that backup restores on a fresh machine to the
 * same certificate, key and chain (issue #10). Each real-world shape (test/corpus/
 * openssl-corpus.ts) goes restore -> status -> backup -> verify-backup -> restore on a fresh
 * store, in process at a low iteration count; then OpenSSL reads our backup's PKCS#12 and
 * finds the chain. One shape also goes through the real CLI, as the reports did.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backupCertificate, getStatus, verifyBackup, restoreCertificate } from '../../core/ops/index.js';
import { loadPrivateKey, readStore } from '../../core/store/store.js';
import { parseBackupBytes } from '../../core/backup/read.js';
import { readFile } from 'node:fs/promises';
import { fingerprintSha256 } from '../../core/pki/inspect.js';
import { cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { buildCorpus, PFX_PASSWORD, type CorpusEntry } from './openssl-corpus.js';

const ITERATIONS = 1000;
const BACKUP_PASSWORD = 'backup password 1';
let root: string;
let corpus: CorpusEntry[];

beforeAll(async () => {
  root = await tempDir('cm-corpus-');
  corpus = buildCorpus(root);
}, 120_000);

const spki = (pem: string) => createPublicKey(createPrivateKey(pem)).export({ type: 'spki', format: 'der' });

describe('every real-world certificate shape round-trips', () => {
  it.each([
    'empty-subject',
    'ca-one-level',
    'ca-two-level',
    'long-dn',
    'non-ascii',
    'rsa-4096',
    'both-ekus',
    'windows-3des-chain',
  ])('%s: restore, status, backup, verify-backup, restore on a fresh store: same certificate, key and chain', async (name) => {
    const entry = corpus.find((c) => c.name === name)!;
    const first = join(root, `${name}-store-1`);
    const fresh = join(root, `${name}-store-2`);
    const zip = join(root, `${name}-backup.zip`);
    const context = { dataDir: first, iterations: ITERATIONS };

    await restoreCertificate(context, { path: entry.pfx, password: PFX_PASSWORD, exportable: true });
    const status = await getStatus(first);
    expect(status.current!.fingerprintSha256).toBe(fingerprintSha256(entry.leafDer));
    if (name === 'long-dn') expect(status.current!.subject.length).toBeGreaterThan(256);
    if (name === 'empty-subject') expect(status.current!.subject).toBe('');
    await backupCertificate(context, { password: BACKUP_PASSWORD, outPath: zip });
    const checked = await verifyBackup(context, { path: zip, password: BACKUP_PASSWORD });
    expect(checked.certificate.fingerprintSha256).toBe(fingerprintSha256(entry.leafDer));

    await restoreCertificate({ dataDir: fresh, iterations: ITERATIONS }, { path: zip, password: BACKUP_PASSWORD, exportable: true });
    const restored = (await readStore(fresh))!;
    expect(Buffer.from(restored.state.current.certificateDer, 'base64').equals(entry.leafDer)).toBe(true);
    const key = await loadPrivateKey(restored);
    expect(createPublicKey(key).export({ type: 'spki', format: 'der' }).equals(spki(entry.keyPem))).toBe(true);
    expect((restored.state.current.chainDer ?? []).map((b) => Buffer.from(b, 'base64').toString('hex'))).toEqual(entry.chainDer.map((d) => d.toString('hex')));
    expect((await getStatus(fresh)).current!.subject).toBe(status.current!.subject);
  });

  it('OpenSSL reads the chain in our backup of a CA-issued certificate', async () => {
    const entry = corpus.find((c) => c.name === 'ca-two-level')!;
    const store = join(root, 'openssl-reads');
    await restoreCertificate({ dataDir: store, iterations: ITERATIONS }, { path: entry.pfx, password: PFX_PASSWORD, exportable: true });
    const zip = join(root, 'openssl-reads.zip');
    await backupCertificate({ dataDir: store, iterations: ITERATIONS }, { password: BACKUP_PASSWORD, outPath: zip });
    const file = await parseBackupBytes(await readFile(zip));
    const p12 = join(root, 'openssl-reads.p12');
    await writeFile(p12, file.pkcs12);
    const out = execFileSync('openssl', ['pkcs12', '-in', p12, '-nokeys', '-passin', 'env:BP'], { env: { ...process.env, BP: BACKUP_PASSWORD }, encoding: 'utf8' });
    expect(out.match(/BEGIN CERTIFICATE/g)).toHaveLength(3);
    expect(out).toContain('Example Corp Issuing CA 1');
    expect(out).toContain('Example Corp Root CA');
  });

  it('through the real CLI: -r of an empty-subject certificate, then status, -b, verify-backup and -r on a fresh store all exit 0', async () => {
    const entry = corpus.find((c) => c.name === 'empty-subject')!;
    const store = join(root, 'cli-store');
    const zip = join(root, 'cli-backup.zip');
    for (const args of [['-r', PFX_PASSWORD, entry.pfx], ['status'], ['-b', BACKUP_PASSWORD, zip], ['verify-backup', BACKUP_PASSWORD, zip]]) {
      const r = await cli(args, { dataDir: store });
      expect(r.code, `${args[0]}: ${r.stderr}`).toBe(0);
    }
    const r = await cli(['-r', BACKUP_PASSWORD, zip], { dataDir: join(root, 'cli-fresh') });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(fingerprintSha256(entry.leafDer));
  }, 60_000);
});
