/**
 * Rollback is refused by key, not only by certificate (issue #10, finding 6): a retired key
 * wrapped in a new self-made certificate (`openssl req -x509 -key old.key`) is a different
 * certificate with the same SPKI, and must not become current again.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CertManagerError } from '../../core/errors.js';
import { getStatus, restoreCertificate } from '../../core/ops/index.js';
import { snapshotTree, tempDir } from '../helpers/temp.js';
import { PFX_PASSWORD } from './openssl-corpus.js';

const ITERATIONS = 1000;
let dir: string;

function openssl(args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, CORPUS_PW: PFX_PASSWORD } });
}

/** A self-signed server certificate for `key` (made if absent), exported as `<name>.pfx`. */
function selfSigned(name: string, key: string, cn: string): string {
  const keyArgs = key === 'new' ? ['-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`] : ['-key', key];
  openssl(['req', '-x509', ...keyArgs, '-out', `${name}.pem`, '-subj', `/CN=${cn}`, '-days', '365', '-addext', `subjectAltName=DNS:${cn}`, '-addext', 'extendedKeyUsage=serverAuth']);
  openssl(['pkcs12', '-export', '-inkey', key === 'new' ? `${name}.key` : key, '-in', `${name}.pem`, '-out', `${name}.pfx`, '-passout', 'env:CORPUS_PW', '-iter', '2048']);
  return join(dir, `${name}.pfx`);
}

let oldPfx: string;
let newPfx: string;
let oldKeyAgain: string;
beforeAll(async () => {
  dir = await tempDir('cm-retired-');
  oldPfx = selfSigned('old', 'new', 'cm.example.co.jp');
  newPfx = selfSigned('next', 'new', 'cm.example.co.jp');
  // The retired key comes back in a certificate the store has never seen.
  oldKeyAgain = selfSigned('old-again', 'old.key', 'cm2.example.co.jp');
}, 60_000);

describe('a retired key never comes back', () => {
  it('-r of a new certificate for a key the store replaced is refused (RESTORE_RETIRED_KEY) and the store is unchanged', async () => {
    const store = join(dir, 'store');
    const context = { dataDir: store, iterations: ITERATIONS };
    await restoreCertificate(context, { path: oldPfx, password: PFX_PASSWORD, exportable: true });
    await restoreCertificate(context, { path: newPfx, password: PFX_PASSWORD, exportable: true });
    expect((await getStatus(store)).current!.version).toBe(2);
    const before = await snapshotTree(store);

    const error = await restoreCertificate(context, { path: oldKeyAgain, password: PFX_PASSWORD, exportable: true }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CertManagerError);
    expect([(error as CertManagerError).kind, (error as CertManagerError).code]).toEqual(['bad-input', 'RESTORE_RETIRED_KEY']);
    expect((error as CertManagerError).message).not.toMatch(/\n/);
    expect(await snapshotTree(store)).toEqual(before);
  });

  it('the same certificate for a fresh store is accepted: only this store retired that key', async () => {
    const store = join(dir, 'fresh');
    await restoreCertificate({ dataDir: store, iterations: ITERATIONS }, { path: oldKeyAgain, password: PFX_PASSWORD, exportable: true });
    expect((await getStatus(store)).current!.version).toBe(1);
  });
});
