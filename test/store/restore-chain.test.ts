/**
 * Restore semantics and the version / rotation chain the store keeps.
 *
 * The invariant checked everywhere (core/store/store.ts documents it: "statement i moves trust
 * from version i+1 to i+2"): a store at version N holds exactly N-1 rotation statements, the
 * replaced certificates have distinct versions below N, and an agent provisioned with the
 * version-1 certificate reaches the current certificate by following state.rotations.
 *
 * In-process operations with 1,000 PBKDF2 iterations and 2048-bit keys keep this cheap.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import unzipper from 'unzipper';
import { backupCertificate, generateCertificate, renewCertificate, restoreCertificate, getStatus } from '../../core/ops/index.js';
import { loadPrivateKey, readStore, type StoreState } from '../../core/store/store.js';
import { createSelfSignedCertificate } from '../../core/pki/certificate.js';
import { encodePkcs12 } from '../../core/pki/pkcs12/index.js';
import { createTrustState, followRotations } from '../../core/trust/index.js';
import { fingerprintSha256 } from '../../core/pki/inspect.js';
import { rawZip } from '../helpers/raw-zip.js';
import { tempDir } from '../helpers/temp.js';
import { fixtureContext as ctx } from '../helpers/fixtures.js';

const pw = 'review password 2026';
let root: string;

async function state(dataDir: string): Promise<StoreState> {
  const s = await readStore(dataDir);
  if (!s) throw new Error('no store');
  return s.state;
}

/** Every version problem of a store state, as readable strings (empty = consistent). */
async function chainProblems(s: StoreState): Promise<string[]> {
  const problems: string[] = [];
  const n = s.current.version;
  if (s.rotations.length !== n - 1) problems.push(`version ${n} but ${s.rotations.length} rotation statements`);
  const versions = s.replaced.map((r) => r.version);
  if (new Set(versions).size !== versions.length) problems.push(`replaced versions repeat: ${versions.join(',')}`);
  if (versions.some((v) => v >= n)) problems.push(`a replaced version is not below ${n}`);
  const first = n === 1 ? s.current.certificateDer : s.replaced.find((r) => r.version === 1)?.certificateDer;
  if (!first) problems.push('no version-1 certificate to start from');
  else {
    try {
      const reached = await followRotations(createTrustState(Buffer.from(first, 'base64'), { version: 1 }), s.rotations);
      const want = fingerprintSha256(Buffer.from(s.current.certificateDer, 'base64'));
      if (reached.fingerprintSha256 !== want || reached.version !== n) problems.push(`agents from v1 reach v${reached.version} ${reached.fingerprintSha256.slice(0, 8)}, not v${n} ${want.slice(0, 8)}`);
    } catch (e) {
      problems.push(`agents from v1 cannot follow: ${(e as Error).message}`);
    }
  }
  return problems;
}

async function zipEntries(path: string): Promise<Map<string, Buffer>> {
  const dir = await unzipper.Open.file(path);
  return new Map(await Promise.all(dir.files.map(async (f) => [f.path, await f.buffer()] as [string, Buffer])));
}

/** Rewrites history.json of a backup and re-hashes the manifest: no password needed. */
async function withHistory(source: string, target: string, edit: (h: { replaced: unknown[]; rotations: string[]; currentVersion: number }) => void): Promise<string> {
  const entries = await zipEntries(source);
  const history = JSON.parse(entries.get('history.json')!.toString());
  edit(history);
  const newHistory = Buffer.from(JSON.stringify(history, null, 2) + '\n');
  const manifest = JSON.parse(entries.get('manifest.json')!.toString());
  manifest.entries['history.json'] = { sha256: createHash('sha256').update(newHistory).digest('hex'), size: newHistory.length };
  entries.set('history.json', newHistory);
  entries.set('manifest.json', Buffer.from(JSON.stringify(manifest, null, 2) + '\n'));
  await writeFile(target, rawZip([...entries].map(([name, data]) => ({ name, data, deflate: true }))));
  return target;
}

// Lineage 1: X (v1) renewed to Y (v2); y.zip carries history {replaced: [X v1], rotations: [X→Y], currentVersion: 2}.
let yZip: string;
// Lineage 2: A (v1), a.zip; renewed to B (v2), b.zip.
let aZip: string;
let bZip: string;

beforeAll(async () => {
  root = await tempDir('cm-chain-');
  const l1 = join(root, 'lineage1');
  await generateCertificate(ctx(l1), { password: pw, keySize: 2048, subject: 'lineage1' });
  await renewCertificate(ctx(l1), { password: pw, keySize: 2048 });
  yZip = join(root, 'y.zip');
  await backupCertificate(ctx(l1), { password: pw, outPath: yZip });
  expect(await chainProblems(await state(l1))).toEqual([]);

  const l2 = join(root, 'lineage2');
  await generateCertificate(ctx(l2), { password: pw, keySize: 2048, subject: 'lineage2' });
  aZip = join(root, 'a.zip');
  await backupCertificate(ctx(l2), { password: pw, outPath: aZip });
  await renewCertificate(ctx(l2), { password: pw, keySize: 2048 });
  bZip = join(root, 'b.zip');
  await backupCertificate(ctx(l2), { password: pw, outPath: bZip });
}, 120_000);

describe('restore keeps a chain agents can follow', () => {
  it('baseline: -r of another certificate over a fresh -g keeps the replaced one and stays consistent (pfx-like, no history)', async () => {
    const s = join(root, 'baseline');
    await generateCertificate(ctx(s), { password: pw, keySize: 2048 });
    await restoreCertificate(ctx(s), { path: aZip, password: pw, exportable: true });
    const st = await state(s);
    expect(st.replaced).toHaveLength(1);
    expect(await chainProblems(st)).toEqual([]);
  });

  it('the current key in a re-issued certificate is refused with its own reason, and the store is unchanged', async () => {
    const s = join(root, 'same-key');
    await generateCertificate(ctx(s), { password: pw, keySize: 2048, subject: 'same key' });
    const before = await readStore(s);
    const key = await loadPrivateKey(before!);
    const reissued = createSelfSignedCertificate({ privateKey: key, commonName: 'same key, re-issued', validityDays: 400, now: new Date() });
    const pfx = join(root, 'reissued.pfx');
    await writeFile(pfx, await encodePkcs12({ privateKey: key, certificate: reissued }, pw, { iterations: 1000 }));
    await expect(restoreCertificate(ctx(s), { path: pfx, password: pw, exportable: true })).rejects.toMatchObject({ kind: 'bad-input', code: 'RESTORE_SAME_KEY' });
    expect(await readStore(s)).toEqual(before);
  });

  it('restoring the same certificate again changes neither version nor chain', async () => {
    const s = join(root, 'same');
    await restoreCertificate(ctx(s), { path: bZip, password: pw, exportable: true });
    const before = await state(s);
    await restoreCertificate(ctx(s), { path: bZip, password: pw, exportable: false });
    const after = await state(s);
    expect(after.current.version).toBe(before.current.version);
    expect(after.rotations).toEqual(before.rotations);
    expect(after.replaced).toEqual(before.replaced);
    expect(after.current.exportable).toBe(false);
  });

  it('a backup whose history already holds the current certificate (a.zip, then the newer b.zip): B keeps version 2 and agents at A v1 follow', async () => {
    // The realistic case: a rebuilt server gets the old backup first, then the admin finds the newer one.
    const s = join(root, 'history-contains-current');
    await restoreCertificate(ctx(s), { path: aZip, password: pw, exportable: true });
    await restoreCertificate(ctx(s), { path: bZip, password: pw, exportable: true });
    const st = await state(s);
    expect(await chainProblems(st)).toEqual([]);
    expect(st.current.version).toBe(2);
  });

  it('a backup from another lineage whose currentVersion is higher than the store\'s: the new rotation statement starts at the store\'s real version', async () => {
    // Store at A v1; y.zip says Y is v2 in its own lineage. restore.ts makes Y version
    // max(1, 2) + 1 = 3 and signs a statement "previous: A, version 2": A is version 1 here,
    // so every agent trusting A at v1 gets chain-broken and refuses the server from now on.
    const s = join(root, 'gap');
    await generateCertificate(ctx(s), { password: pw, keySize: 2048 });
    await restoreCertificate(ctx(s), { path: yZip, password: pw, exportable: true });
    const st = await state(s);
    const a = st.replaced.filter((r) => r.version === 1);
    expect(await chainProblems(st), `replaced v1 entries: ${a.length}`).toEqual([]);
  });

  it('a store that has replaced certificates, restoring a backup of another lineage: replaced versions stay distinct', async () => {
    const s = join(root, 'dup-versions');
    await generateCertificate(ctx(s), { password: pw, keySize: 2048 });
    await renewCertificate(ctx(s), { password: pw, keySize: 2048 });
    await restoreCertificate(ctx(s), { path: yZip, password: pw, exportable: true });
    const st = await state(s);
    const versions = st.replaced.map((r) => r.version);
    expect(new Set(versions).size, `replaced versions: ${versions.join(',')}`).toBe(versions.length);
    expect((await getStatus(s)).replaced.map((r) => r.version)).toEqual([...new Set((await getStatus(s)).replaced.map((r) => r.version))]);
  });
});

describe('the backup history is not authenticated (manifest hashes are not keyed)', () => {
  it('a backup whose history.json was rewritten (forged rotation statements, bogus version; manifest re-hashed) is refused', async () => {
    const forged = await withHistory(yZip, join(root, 'forged.zip'), (h) => {
      h.rotations = ['{"payload":"forged","signatures":[]}'];
      h.currentVersion = 9;
    });
    const s = join(root, 'forged-store');
    let restored = false;
    try {
      await restoreCertificate(ctx(s), { path: forged, password: pw, exportable: true });
      restored = true;
    } catch (e) {
      expect((e as { kind?: string }).kind).toBe('bad-input');
    }
    if (restored) {
      // It went in: show what the store now holds.
      const st = await state(s);
      expect(await chainProblems(st), `restored: version ${st.current.version}, rotations ${JSON.stringify(st.rotations)}`).toEqual([]);
    }
  });

  it('a rewritten history with currentVersion = Number.MAX_SAFE_INTEGER bricks -c afterwards (exit 4 for a command that reads no file)', async () => {
    const forged = await withHistory(yZip, join(root, 'maxver.zip'), (h) => {
      h.currentVersion = Number.MAX_SAFE_INTEGER;
    });
    const s = join(root, 'maxver-store');
    let restored = false;
    try {
      await restoreCertificate(ctx(s), { path: forged, password: pw, exportable: true });
      restored = true;
    } catch {
      /* refusing the file is the fix */
    }
    if (restored) await expect(renewCertificate(ctx(s), { password: pw, keySize: 2048 })).resolves.toBeTruthy();
  });
});

describe('the same certificate first as a bare .pfx, then as the backup zip', () => {
  it('restoring b.zip after its own certificate came in as a .pfx adopts the backup version and chain, so agents at v2 follow the next renewal', async () => {
    // A rebuilt server is first given B as a .pfx (no history: version 1), then the admin finds
    // b.zip. restore.ts's "same certificate" branch keeps version 1 and no rotations; the next -c
    // publishes "version 2", which agents that trust B at version 2 ignore as history: they never
    // move to the new certificate.
    const s = join(root, 'pfx-then-zip');
    const pfx = join(root, 'b.pfx');
    await writeFile(pfx, (await zipEntries(bZip)).get('certificate.p12')!);
    await restoreCertificate(ctx(s), { path: pfx, password: pw, exportable: true });
    await restoreCertificate(ctx(s), { path: bZip, password: pw, exportable: true });
    const b = await state(s);
    await renewCertificate(ctx(s), { password: pw, keySize: 2048 });
    const after = await state(s);
    const agentAtB = createTrustState(Buffer.from(b.current.certificateDer, 'base64'), { version: 2 });
    const reached = await followRotations(agentAtB, after.rotations);
    expect(reached.fingerprintSha256, `store version after b.zip: ${b.current.version}`).toBe(fingerprintSha256(Buffer.from(after.current.certificateDer, 'base64')));
  });
});
