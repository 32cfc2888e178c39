/**
 * Issue 10, findings 8 and 9: replaced private keys are destroyed once their successor and its
 * rotation statement are committed (with the crash points on both sides of the commit), and the
 * Windows key at rest goes through DPAPI machine scope with the key never on a command line.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { backupCertificate, generateCertificate, getStatus, verifyBackup, renewCertificate } from '../../core/ops/index.js';
import { commitStore, loadPrivateKey, readStore, storePaths } from '../../core/store/store.js';
import { checkGeneration } from '../../core/ops/validate-generation.js';
import { createSelfSignedCertificate } from '../../core/pki/certificate.js';
import { rotationStatementFor } from '../../core/ops/rotation-statement.js';
import { destroyReplacedKeys } from '../../core/store/retired-keys.js';
import { dpapiCommand, openKeyAtRest, protectKeyAtRest, type StdinRunner } from '../../core/platform/dpapi.js';
import { tempDir } from '../helpers/temp.js';
import { fixtureContext as ctx } from '../helpers/fixtures.js';
import { testPrivateKey } from '../helpers/test-keys.js';

const pw = 'key material password';
let root: string;
beforeAll(async () => {
  root = await tempDir('cm-keys-');
});

const keyOf = (dataDir: string, n: number) => join(storePaths(dataDir).generation(n), 'key.pem');

describe('8: a replaced private key is destroyed once its successor is committed', () => {
  it('after -c the old generation keeps its certificate and state, not its key; the store still works', async () => {
    const dataDir = join(root, 'renewed');
    await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    await renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 });
    expect(existsSync(keyOf(dataDir, 1))).toBe(false);
    expect(JSON.parse(await readFile(join(storePaths(dataDir).generation(1), 'state.json'), 'utf8')).current.certificateDer).toMatch(/^MII/);
    expect(existsSync(keyOf(dataDir, 2))).toBe(true);
    const status = await getStatus(dataDir);
    expect(status.current?.version).toBe(2);
    expect(status.replaced).toHaveLength(1);
    const zip = join(root, 'renewed.zip');
    await backupCertificate(ctx(dataDir), { password: pw, outPath: zip });
    expect((await verifyBackup(ctx(dataDir), { path: zip, password: pw })).certificate.fingerprintSha256).toBe(status.current?.fingerprintSha256);
  });

  it('crash before the commit point: the old key is still there and the store is the old one', async () => {
    const dataDir = join(root, 'before-commit');
    await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    await renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 });
    const base = (await readStore(dataDir))!;
    const oldKey = await readFile(keyOf(dataDir, 2));
    // A real successor that replaces gen 2's certificate (what -c builds), stopped just before CURRENT moves.
    const privateKey = testPrivateKey();
    const now = new Date();
    const certificateDer = createSelfSignedCertificate({ privateKey, commonName: 'successor', validityDays: 30, now });
    const statement = await rotationStatementFor(
      { privateKey: await loadPrivateKey(base), certificateDer: Buffer.from(base.state.current.certificateDer, 'base64'), version: 2 },
      { privateKey, certificateDer, version: 3 },
      now,
    );
    const next = {
      ...base.state,
      current: { ...base.state.current, certificateDer: certificateDer.toString('base64'), version: 3 },
      replaced: [...base.state.replaced, { certificateDer: base.state.current.certificateDer, version: 2, replacedAt: now.toISOString() }],
      rotations: [...base.state.rotations, statement],
    };
    const crash = () => {
      throw new Error('killed');
    };
    await expect(commitStore(dataDir, base, await checkGeneration(next, privateKey, now), crash)).rejects.toThrow('killed');
    expect(await readFile(keyOf(dataDir, 2))).toEqual(oldKey);
    expect((await readStore(dataDir))!.generation).toBe(2);
  });

  it('crash after the commit, half-way through destroying: the store reads; the next run finishes the job', async () => {
    const dataDir = join(root, 'half-way');
    await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    await renewCertificate(ctx(dataDir), { password: `${pw} 2`, keySize: 2048 });
    await renewCertificate(ctx(dataDir), { password: `${pw} 3`, keySize: 2048 });
    // Put back what a crash right after the commit would have left: the replaced keys, unshredded.
    const current = (await readStore(dataDir))!;
    const currentPem = await readFile(keyOf(dataDir, current.generation));
    const { writeFile } = await import('node:fs/promises');
    for (const n of [1, 2]) await writeFile(keyOf(dataDir, n), currentPem, { mode: 0o600 });
    const stop = () => {
      throw new Error('killed after the first');
    };
    await expect(destroyReplacedKeys(storePaths(dataDir).generations, current, stop)).rejects.toThrow('killed after the first');
    expect([1, 2].filter((n) => existsSync(keyOf(dataDir, n)))).toHaveLength(1);
    expect((await getStatus(dataDir)).current?.version).toBe(3);
    expect(await destroyReplacedKeys(storePaths(dataDir).generations, current)).toHaveLength(1);
    expect([1, 2].filter((n) => existsSync(keyOf(dataDir, n)))).toEqual([]);
    expect(existsSync(keyOf(dataDir, 3))).toBe(true);
    expect((await readdir(storePaths(dataDir).generations)).sort()).toEqual(['gen-000001', 'gen-000002', 'gen-000003']);
  });

  it('a generation whose certificate is not in the committed chain keeps its key', async () => {
    const dataDir = join(root, 'other-lineage');
    await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    const current = (await readStore(dataDir))!;
    // The committed chain says nothing about gen 1's certificate: nothing is destroyed.
    const unrelated = { generation: 2, state: { replaced: [{ certificateDer: 'AAAA', version: 1 }], rotations: ['s'] } };
    expect(await destroyReplacedKeys(storePaths(dataDir).generations, unrelated)).toEqual([]);
    expect(existsSync(keyOf(dataDir, current.generation))).toBe(true);
  });
});

describe('9: the key at rest on Windows is DPAPI machine scope, never on a command line', () => {
  const pem = testPrivateKey().export({ type: 'pkcs8', format: 'pem' }) as string;
  /** Windows' side, stood in for: records each call; the "blob" is the data reversed. */
  function fakeWindows() {
    const calls: { file: string; args: string[]; stdin: string }[] = [];
    const run: StdinRunner = async (file, args, stdin) => {
      calls.push({ file, args, stdin });
      return Buffer.from(stdin, 'base64').reverse().toString('base64');
    };
    return { calls, run };
  }

  it('runs Windows PowerShell by full path with ProtectedData.Protect(..., LocalMachine), the key on stdin only', async () => {
    const { calls, run } = fakeWindows();
    const atRest = await protectKeyAtRest(pem, { platform: 'win32', run, systemRoot: 'D:\\Win' });
    expect(calls).toHaveLength(1);
    const [call] = calls;
    expect(call!.file).toBe('D:\\Win\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(call!.args).toEqual(dpapiCommand('Protect', 'D:\\Win').args);
    const script = call!.args.at(-1)!;
    expect(script).toContain("[System.Security.Cryptography.ProtectedData]::Protect($data, $entropy, 'LocalMachine')");
    expect(script).toContain('[Console]::In.ReadToEnd()');
    expect(Buffer.from(call!.stdin, 'base64').toString('utf8')).toBe(pem);
    const body = pem.split('\n')[1]!;
    for (const arg of [call!.file, ...call!.args]) expect(arg).not.toContain(body.slice(0, 20));
    expect(atRest).toMatch(/^-----BEGIN CERTIFICATEMANAGER DPAPI PROTECTED KEY-----\n/);
    expect(atRest).not.toContain(body.slice(0, 20));
    // Opening it goes through Unprotect, the same way.
    expect(await openKeyAtRest(atRest, { platform: 'win32', run })).toBe(pem);
    expect(calls[1]!.args.at(-1)).toContain("ProtectedData]::Unprotect($data, $entropy, 'LocalMachine')");
  });

  it('on Linux the key file is the plain PEM (0600, see docs/security.md); a Windows blob there is refused, not misread', async () => {
    expect(await protectKeyAtRest(pem, { platform: 'linux' })).toBe(pem);
    expect(await openKeyAtRest(pem, { platform: 'linux' })).toBe(pem);
    const { run } = fakeWindows();
    const blob = await protectKeyAtRest(pem, { platform: 'win32', run });
    await expect(openKeyAtRest(blob, { platform: 'linux' })).rejects.toThrow(/Windows machine that wrote it/);
  });
});
