/**
 * Issue #14, part 1: the audit trail. Every change and every refusal that reached the store is
 * an entry (who, where, app or CLI, fingerprints before and after, never a password); entries
 * are chained, and the store's generations witness the log, so an edit, a deletion, a
 * reordering or a truncation makes `audit --verify` exit 4; a crash between a change and its
 * entry loses nothing. Real CLI processes and real files.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { auditFields, chainEntry, type AuditEntry } from '../../core/audit/entry.js';
import { verifyChain } from '../../core/audit/log.js';
import { cli, messageLines, type CliOptions, type CliResult } from '../helpers/cli.js';
import { runInProcess } from '../cli/in-process.js';
import { tempDir } from '../helpers/temp.js';
import { backupOf, storeWithCertificate } from '../helpers/fixtures.js';

const pw = 'the first backup password';
const newPw = 'a brand new backup password';
let root: string;

beforeAll(async () => {
  root = await tempDir('cm-audit-');
});

const logOf = (dataDir: string) => readFile(join(dataDir, 'audit.jsonl'), 'utf8');
const linesOf = async (dataDir: string) => (await logOf(dataDir)).trimEnd().split('\n');
const auditJson = async (dataDir: string) => {
  const r = await cli(['audit', '--json'], { dataDir });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as { entries: AuditEntry[]; verified: boolean };
};

type Run = (args: string[], options: Pick<CliOptions, 'dataDir'>) => Promise<CliResult>;

/**
 * A store that went through -g, -b, -e, a refused -r, and -c. The last three run through `run`:
 * real processes for the test of what the entries record, the CLI's main in this process where
 * the history is only the starting point (the same entries, without three process starts).
 */
async function storeWithHistory(name: string, run: Run = runInProcess): Promise<string> {
  const dataDir = join(root, name);
  await storeWithCertificate(dataDir, pw);
  await backupOf(dataDir, pw, join(root, `${name}.zip`));
  expect((await run(['-e', join(root, `${name}.cer`)], { dataDir })).code).toBe(0);
  expect((await run(['-r', 'not the password', join(root, `${name}.zip`)], { dataDir })).code).toBe(3);
  expect((await run(['-c', newPw, '--key-size', '2048'], { dataDir })).code).toBe(0);
  return dataDir;
}

/** Takes the audit lock the way certificatemanager does (an owned lock), says so, and waits to be killed. */
const HOLD_AUDIT_LOCK = `
import { lockOwned } from ${JSON.stringify(new URL('../../dist/core/store/owned-lock.js', import.meta.url).href)};
await lockOwned(process.argv[1], { lockfilePath: process.argv[2], stale: 10000, realpath: false });
process.stdout.write('locked\\n');
setInterval(() => {}, 1000);
`;

describe('the chain', () => {
  const entries = (n: number) => {
    const out: AuditEntry[] = [];
    for (let i = 0; i < n; i++) out.push(chainEntry(auditFields({ operation: 'backup', details: { path: `C:\\b\\${i}.zip` } }, 'cli'), out.at(-1) ?? null));
    return out;
  };
  const text = (list: unknown[]) => list.map((e) => (typeof e === 'string' ? e : JSON.stringify(e))).join('\n') + '\n';

  it('verifies as written', () => {
    const list = entries(5);
    expect(verifyChain(text(list))).toEqual({ entries: list, broken: null });
  });

  it('any edit, deletion (but of the last), duplication or reordering is found (fast-check)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 2, max: 8 }), fc.nat(), fc.nat(), fc.constantFrom('edit', 'delete', 'swap', 'duplicate', 'rehash-edit'), (n, a, b, how) => {
        const list: unknown[] = entries(n);
        const i = a % n;
        const j = b % n;
        if (how === 'edit') list[i] = { ...(list[i] as AuditEntry), result: 'refused' };
        if (how === 'rehash-edit') {
          // An editor who recomputes the entry's own hash still breaks the next entry's link.
          if (i === n - 1) return;
          const { hash: _h, ...body } = list[i] as AuditEntry;
          list[i] = chainEntry({ ...(body as AuditEntry), details: { path: 'C:\\elsewhere.zip' } }, i === 0 ? null : (list[i - 1] as AuditEntry));
        }
        if (how === 'delete') {
          if (i === n - 1) return; // the tail: the store's witnesses catch that (below)
          list.splice(i, 1);
        }
        if (how === 'swap') {
          if (i === j) return;
          [list[i], list[j]] = [list[j], list[i]];
        }
        if (how === 'duplicate') list.splice(i, 0, list[i]);
        expect(verifyChain(text(list)).broken).not.toBeNull();
      }),
      { numRuns: 300 },
    );
  });
});

// Concurrent: each test has its own data folder, and the bare-lock case spends ~12 s waiting for
// the lock to go stale, which the others can use.
describe.concurrent('certificatemanager audit', () => {
  it('records each change and each refusal, with who, where and how, in order; never a password', async () => {
    const dataDir = await storeWithHistory('history', cli);
    const { entries, verified } = await auditJson(dataDir);
    expect(verified).toBe(true);
    expect(entries.map((e) => `${e.operation}:${e.result}${e.code ? `:${e.code}` : ''}`)).toEqual([
      'generate:ok',
      'backup:ok',
      'export-agent-certificate:ok',
      'restore:refused:WRONG_PASSWORD',
      'renew:ok',
    ]);
    const [generate, , , refused, renew] = entries;
    expect(generate!.fingerprintBefore).toBeNull();
    expect(renew!.fingerprintBefore).toBe(generate!.fingerprintAfter);
    expect(renew!.fingerprintAfter).toMatch(/^[0-9a-f]{64}$/);
    expect(renew!.fingerprintAfter).not.toBe(renew!.fingerprintBefore);
    expect(refused!.fingerprintBefore).toBe(generate!.fingerprintAfter);
    for (const e of entries) {
      expect(e.account.length).toBeGreaterThan(0);
      expect(e.machine.length).toBeGreaterThan(0);
      expect(e.via).toBe('cli');
    }
    const log = await logOf(dataDir);
    for (const secret of [pw, newPw, 'not the password']) expect(log).not.toContain(secret);
    // Readable by administrators only, like the key.
    if (process.platform !== 'win32') expect((await import('node:fs')).statSync(join(dataDir, 'audit.jsonl')).mode & 0o077).toBe(0);
    const r = await cli(['audit', '--verify'], { dataDir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/renew {2}ok/);
    expect(r.stdout).toMatch(/Verified 5 entries/);
  }, 60_000);

  it('an edited, removed or reordered entry, and a cut log, make --verify exit 4 with one line', async () => {
    const dataDir = await storeWithHistory('tampered');
    const original = await linesOf(dataDir);
    const cases: Array<[string, string[]]> = [
      ['edited', original.map((l, i) => (i === 3 ? l.replace('"refused"', '"ok"') : l))],
      ['removed', original.filter((_, i) => i !== 3)],
      ['reordered', [original[0]!, original[2]!, original[1]!, ...original.slice(3)]],
      // Cut after the first entry: the chain that is left is intact, but the renewal's
      // generation knows its entry and the log's head before it.
      ['cut', original.slice(0, 1)],
      ['emptied', []],
    ];
    for (const [name, lines] of cases) {
      await writeFile(join(dataDir, 'audit.jsonl'), lines.length ? lines.join('\n') + '\n' : '');
      const r = await runInProcess(['audit', '--verify'], { dataDir });
      expect(r.code, `${name}: ${r.stderr}`).toBe(4);
      expect(messageLines(r.stderr), name).toHaveLength(1);
      expect(r.stderr).toMatch(/does not verify/);
    }
    await writeFile(join(dataDir, 'audit.jsonl'), original.join('\n') + '\n');
    expect((await runInProcess(['audit', '--verify'], { dataDir })).code).toBe(0);
  }, 60_000);

  it('a crash after the commit but before the log line: the entry is recovered from the generation', async () => {
    const dataDir = await storeWithHistory('crash');
    const lines = await linesOf(dataDir);
    const renew = JSON.parse(lines.at(-1)!) as AuditEntry;
    expect(renew.operation).toBe('renew');
    // What a crash between CURRENT's switch and the append leaves: the generation, no line
    // (here also a torn half line, as a crash mid-write leaves).
    await writeFile(join(dataDir, 'audit.jsonl'), lines.slice(0, -1).join('\n') + '\n' + lines.at(-1)!.slice(0, 40));
    const r = await cli(['audit', '--verify', '--json'], { dataDir });
    expect(r.code, r.stderr).toBe(0);
    const after = JSON.parse(r.stdout) as { entries: AuditEntry[] };
    expect(after.entries.at(-1)).toMatchObject({ id: renew.id, time: renew.time, operation: 'renew', fingerprintAfter: renew.fingerprintAfter });
    expect(after.entries).toHaveLength(lines.length);
    // And the generation's record names it.
    const generations = (await readdir(join(dataDir, 'generations'))).sort();
    const record = JSON.parse(await readFile(join(dataDir, 'generations', generations.at(-1)!, 'audit.json'), 'utf8'));
    expect(record.entry.id).toBe(renew.id);
  }, 60_000);

  it.each([
    // Killed while appending: the lock and its owner note stay, and the owner is gone.
    ['a killed process holding it, with its owner note', 'killed'],
    // Killed between making the lock and noting its owner: only proper-lockfile's stale time
    // (10 s after the lock was made) frees it, and `audit` must outlast that.
    ['a bare lock folder, fresh, without an owner note', 'bare'],
  ])('the same crash with the audit lock left by %s: audit takes it and recovers the entry', async (_, how) => {
    const dataDir = await storeWithHistory(`crash-locked-${how}`);
    const lines = await linesOf(dataDir);
    const renew = JSON.parse(lines.at(-1)!) as AuditEntry;
    await writeFile(join(dataDir, 'audit.jsonl'), lines.slice(0, -1).join('\n') + '\n');
    if (how === 'bare') await mkdir(join(dataDir, 'audit.lock'));
    else {
      const holder = spawn(process.execPath, ['--input-type=module', '-e', HOLD_AUDIT_LOCK, join(dataDir, 'audit.jsonl'), join(dataDir, 'audit.lock')], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => createInterface({ input: holder.stdout! }).once('line', () => resolve()));
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('close', resolve));
      expect((await readdir(dataDir)).filter((n) => n.startsWith('audit.lock'))).toEqual(['audit.lock', 'audit.lock.owner']);
    }
    const r = await cli(['audit', '--verify', '--json'], { dataDir });
    expect(r.code, r.stderr).toBe(0);
    const after = JSON.parse(r.stdout) as { entries: AuditEntry[] };
    expect(after.entries.at(-1)).toMatchObject({ id: renew.id, operation: 'renew' });
    expect(after.entries).toHaveLength(lines.length);
    expect((await readdir(dataDir)).filter((n) => n.startsWith('audit.lock'))).toEqual([]);
  }, 60_000);

  it('a refusal because another certificatemanager holds the store is recorded too', async () => {
    const dataDir = join(root, 'locked');
    await storeWithCertificate(dataDir, pw);
    const holder = spawn(process.execPath, [new URL('../helpers/hold-lock.mjs', import.meta.url).pathname, dataDir], { stdio: ['pipe', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => createInterface({ input: holder.stdout! }).once('line', () => resolve()));
      expect((await cli(['-c', newPw], { dataDir })).code).toBe(5);
    } finally {
      holder.stdin!.end();
      await new Promise((resolve) => holder.once('close', resolve));
    }
    const { entries } = await auditJson(dataDir);
    expect(entries.at(-1)).toMatchObject({ operation: 'renew', result: 'refused', code: 'STORE_LOCKED' });
    expect(await logOf(dataDir)).not.toContain(newPw);
  }, 60_000);
});
