/**
 * Issue #14: the signed feed head commits to the audit log's latest hash, so a rewrite that
 * the chain and the generations' records cannot show (someone who can write the data folder
 * rewrites all of them consistently) is still detected against a head handed out before it:
 * `certificatemanager audit --verify --head <index.jws>`. The head comes from the real server,
 * and from the copy the reference agent keeps (head.jws). The first check runs the real command;
 * the rest call its main in this process (the same parsing, messages and exit codes).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { chainEntry, type AuditEntry } from '../../core/audit/entry.js';
import { auditHead } from '../../core/audit/log.js';
import { Agent, FileAgentStorage, importTrustedCertificate } from '../../core/agent/index.js';
import { FeedHeadSchema } from '../../core/protocol/wire.js';
import { cli, messageLines } from '../helpers/cli.js';
import { runInProcess } from '../cli/in-process.js';
import { tempDir } from '../helpers/temp.js';
import { currentSigner, makeStore, renew, startServer, waitFor } from '../fleet/helpers.js';
import { signedFeed, head as headOf } from '../agent/kit.js';
import { makeIdentity } from '../agent/kit.js';

let root: string;
beforeAll(async () => {
  root = await tempDir('cm-audit-head-');
});

const bodyOf = (jws: string) => FeedHeadSchema.parse(JSON.parse(Buffer.from(jws.split('.')[1]!, 'base64url').toString()).body);
const logPath = (dataDir: string) => join(dataDir, 'audit.jsonl');
const entriesOf = async (dataDir: string) => (await readFile(logPath(dataDir), 'utf8')).trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEntry);

/**
 * What someone who can write the data folder does: changes entry `seq` (here: who did it), chains
 * every later entry again, and rewrites every generation's record to match. The chain and the
 * records then agree with each other, and only a copy held elsewhere can tell.
 */
async function rewriteConsistently(dataDir: string, seq: number): Promise<void> {
  const entries = await entriesOf(dataDir);
  const rewritten: AuditEntry[] = [];
  for (const e of entries) {
    const { format: _f, seq: _s, prev: _p, hash: _h, ...fields } = e;
    const changed = e.seq === seq ? { ...fields, account: 'NOBODY\\nobody' } : fields;
    rewritten.push(chainEntry(changed, rewritten.at(-1) ?? null));
  }
  await writeFile(logPath(dataDir), rewritten.map((e) => JSON.stringify(e)).join('\n') + '\n');
  const generations = join(dataDir, 'generations');
  for (const name of await readdir(generations)) {
    const file = join(generations, name, 'audit.json');
    const record = JSON.parse(await readFile(file, 'utf8').catch(() => 'null')) as { entry: { id: string }; logHead: { seq: number } | null } | null;
    if (!record) continue;
    const mine = rewritten.find((e) => e.id === record.entry.id);
    const { format: _f, seq: _s, prev: _p, hash: _h, ...fields } = mine!;
    const logHead = record.logHead && { seq: record.logHead.seq, hash: rewritten.find((e) => e.seq === record.logHead!.seq)!.hash };
    await writeFile(file, JSON.stringify({ entry: fields, logHead }, null, 2) + '\n');
  }
}

describe('the feed head commits to the audit log', () => {
  it('the head serve signs names the log head; an agent keeps a copy; --head verifies against it', async () => {
    const dataDir = await makeStore();
    await renew(dataDir); // a second entry, and a replaced certificate
    const server = await startServer(dataDir);
    await waitFor(() => server.snapshot().version === 2, 'the renewal to be served');
    const served = server.snapshot().files.get('index.jws')!.body!.toString();
    expect(bodyOf(served).audit).toEqual(await auditHead(dataDir));

    // The reference agent keeps the head it accepted, byte for byte.
    const state = join(root, 'agent');
    const storage = new FileAgentStorage(state);
    await importTrustedCertificate(storage, (await currentSigner(dataDir)).certificate);
    expect((await new Agent({ serverUrl: server.url, storage }).runOnce({ checkIn: 'never', upload: 'never' })).refused).toEqual([]);
    const kept = join(state, 'head.jws');
    expect(await readFile(kept, 'utf8')).toBe(served);

    const ok = await cli(['audit', '--verify', '--head', kept], { dataDir });
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/against the feed head signed at .* \(entry 2\): nothing was changed/);

    // Rewritten consistently: the chain and the records alone no longer tell...
    await rewriteConsistently(dataDir, 1);
    expect((await runInProcess(['audit', '--verify'], { dataDir })).code).toBe(0);
    // ...the signed head does.
    const caught = await runInProcess(['audit', '--verify', '--head', kept], { dataDir });
    expect(caught.code).toBe(4);
    expect(messageLines(caught.stderr)).toHaveLength(1);
    // Entry 1 changed, so every hash after it did: the head names entry 2's, which no longer matches.
    expect(caught.stderr).toMatch(/at entry 2: the log was rewritten: entry 2 is not the one the feed head signed at/);
  }, 60_000);

  it('a cut log is caught against a head that named a later entry; a head by the replaced certificate still counts', async () => {
    const dataDir = await makeStore();
    const v1 = await currentSigner(dataDir);
    const old = headOf(await signedFeed(v1, { now: new Date(Date.now() - 48 * 3600_000), ttlSeconds: 3600 })); // long expired: still evidence
    expect(bodyOf(old).audit).toBeNull();
    // A head from before the log had an entry checks nothing, and says so rather than pass quietly.
    const oldFile = join(root, 'old-head.jws');
    await writeFile(oldFile, old);
    const nothing = await runInProcess(['audit', '--verify', '--head', oldFile], { dataDir });
    expect(nothing.code, nothing.stderr).toBe(0);
    expect(nothing.stdout).toMatch(/names no audit entry, so it checks nothing/);
    await renew(dataDir);
    const committed = (await auditHead(dataDir))!;
    const byOld = join(root, 'old-key-head.jws');
    // A head the replaced certificate signed, committing to the log as it is now.
    const { buildFeed } = await import('../../core/fleet/feed.js');
    const { NO_CONTENT, highCounter } = await import('../agent/kit.js');
    const { fingerprintSha256 } = await import('../../core/trust/index.js');
    const feed = await buildFeed({
      identity: { generation: 0, version: 1, certificate: v1.certificate, fingerprintSha256: fingerprintSha256(v1.certificate), privateKey: v1.privateKey, rotations: [] },
      content: NO_CONTENT,
      counter: await highCounter(),
      auditHead: committed,
    });
    await writeFile(byOld, headOf(feed));
    expect((await runInProcess(['audit', '--verify', '--head', byOld], { dataDir })).code).toBe(0);

    // Cut after entry 1 (the generations' records rewritten too): the head names entry 2.
    await rewriteConsistently(dataDir, 0);
    const entries = await entriesOf(dataDir);
    await writeFile(logPath(dataDir), JSON.stringify(entries[0]) + '\n');
    for (const name of await readdir(join(dataDir, 'generations'))) await rm(join(dataDir, 'generations', name, 'audit.json'), { force: true });
    expect((await runInProcess(['audit', '--verify'], { dataDir })).code).toBe(0);
    const cut = await runInProcess(['audit', '--verify', '--head', byOld], { dataDir });
    expect(cut.code).toBe(4);
    expect(cut.stderr).toMatch(/the log was cut: the feed head signed at .* names entry 2, which is gone/);
  }, 60_000);

  it('a head this server did not sign, or a file that is no head, cannot be used: exit 4, one line', async () => {
    const dataDir = await makeStore();
    const forged = join(root, 'forged.jws');
    await writeFile(forged, headOf(await signedFeed(makeIdentity())));
    const garbage = join(root, 'garbage.jws');
    await writeFile(garbage, 'not a head');
    // Something large by mistake (a log, an image): refused before it is read.
    const huge = join(root, 'huge.jws');
    await writeFile(huge, Buffer.alloc(2 * 1024 * 1024, 0x41));
    for (const [file, why] of [
      [forged, /not signed by a certificate of this server/],
      [garbage, /not a signed feed head/],
      [join(root, 'missing.jws'), /cannot be used/],
      [huge, /2097152 bytes, and a signed feed head is at most/],
      [root, /it is not a file/],
    ] as const) {
      const r = await runInProcess(['audit', '--verify', '--head', file], { dataDir });
      expect(r.code, file).toBe(4);
      expect(messageLines(r.stderr)).toHaveLength(1);
      expect(r.stderr).toMatch(why);
    }
  }, 60_000);
});
