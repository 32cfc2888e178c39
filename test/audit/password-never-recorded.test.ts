/**
 * Issue #14: the audit trail never holds a password. For any password (fast-check), every
 * operation that takes one, done and refused (generate, backup, restore with the wrong and the
 * right password, verify-backup, renew, export-pfx with both profiles), leaves no trace of it,
 * plain or encoded (UTF-8, hex, base64, UTF-16LE), in audit.jsonl, in the generations' audit
 * records, in what would be sent to the Windows Event Log (the exact script and payload), or
 * in any other text file of the data folder. In process, with real files, at low iterations.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { backupCertificate, generateCertificate, verifyBackup, renewCertificate, restoreCertificate } from '../../core/ops/index.js';
import { exportPfx } from '../../core/ops/export-pfx.js';
import { eventLogCommand, eventPayload } from '../../core/platform/event-log.js';
import type { AuditEntry } from '../../core/audit/entry.js';
import { tempDir } from '../helpers/temp.js';

const ITERATIONS = 1000;

/** Every file under `dir`, as bytes. */
async function filesUnder(dir: string): Promise<{ path: string; bytes: Buffer }[]> {
  const out: { path: string; bytes: Buffer }[] = [];
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const info = await stat(path);
    if (info.isDirectory()) out.push(...(await filesUnder(path)));
    else out.push({ path, bytes: await readFile(path) });
  }
  return out;
}

/** The forms a leaked password takes in a text file. */
const encodings = (password: string) => {
  const utf8 = Buffer.from(password, 'utf8');
  return [utf8, Buffer.from(utf8.toString('hex')), Buffer.from(utf8.toString('base64').replace(/=+$/, '')), Buffer.from(password, 'utf16le')];
};

/** Runs every operation that takes a password, done and refused, against one data folder. */
async function everyOperation(root: string, password: string, other: string): Promise<string> {
  const dataDir = join(root, 'data');
  const context = { dataDir, iterations: ITERATIONS };
  await generateCertificate(context, { password, keySize: 2048 });
  const zip = join(root, 'backup.zip');
  await backupCertificate(context, { password, outPath: zip });
  await expect(restoreCertificate(context, { path: zip, password: other, exportable: true })).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
  await expect(verifyBackup(context, { path: zip, password: other })).rejects.toMatchObject({ code: 'WRONG_PASSWORD' });
  await verifyBackup(context, { path: zip, password });
  await restoreCertificate(context, { path: zip, password, exportable: true });
  await renewCertificate(context, { password: other, keySize: 2048 });
  await exportPfx(context, { password, outPath: join(root, 'modern.pfx'), compat: 'modern' });
  await exportPfx(context, { password, outPath: join(root, 'legacy.pfx'), compat: 'legacy' });
  return dataDir;
}

// Text that is in the files whatever the password (file names, field names, fingerprints in
// hex): a password made only of such text would be "found" without being leaked.
const printable = fc.string({ unit: 'grapheme', minLength: 8, maxLength: 40 });

describe('the audit trail never records a password', () => {
  it('for any password, done or refused, plain or encoded (fast-check)', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(printable, async (password) => {
        const other = `${password}-but-not-this-one`;
        const root = await tempDir('cm-audit-pw-');
        const dataDir = await everyOperation(root, password, other);
        const log = await readFile(join(dataDir, 'audit.jsonl'), 'utf8');
        const entries = log.trimEnd().split('\n').map((l) => JSON.parse(l) as AuditEntry);
        // Everything the operations above did is there (so the check below looks at real entries).
        expect(entries.map((e) => `${e.operation}:${e.result}`)).toEqual(['generate:ok', 'backup:ok', 'restore:refused', 'restore:ok', 'renew:ok', 'export-pfx:ok', 'export-pfx:ok']);
        // The Windows Event Log gets exactly this, for each entry.
        const { args } = eventLogCommand('C:\\Windows');
        const sentToEventLog = entries.map((e) => JSON.stringify(eventPayload(e)) + args.join(' '));
        const texts = [{ path: 'event log', bytes: Buffer.from(sentToEventLog.join('\n')) }, ...(await filesUnder(dataDir)).filter((f) => !f.path.endsWith('.pem') && !/key/i.test(f.path))];
        for (const secret of [password, other]) {
          for (const form of encodings(secret)) {
            // Too short to mean anything (a one-character hex or base64 form).
            if (form.length < 6) continue;
            for (const { path, bytes } of texts) expect(bytes.includes(form), `${JSON.stringify(secret)} in ${path}`).toBe(false);
          }
        }
        runs++;
      }),
      { numRuns: 6, seed: 1403, endOnFailure: true, examples: [['パスワード-日本語-Ünïcødé'], ['generate-backup-renew'], ['0123456789abcdef']] },
    );
    expect(runs).toBeGreaterThan(0);
  }, 300_000);
});
