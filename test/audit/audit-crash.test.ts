/**
 * Issue #14: "a crash between the change and its audit entry must not lose the entry". A real
 * `certificatemanager -c` is killed with SIGKILL the moment its commit lands (CURRENT replaced,
 * watched from this process), which is where the log line is not yet written, and at points
 * spread over its run. After each kill: the log verifies, and every renewal that committed has
 * exactly one entry, naming the certificate it made; none is lost, duplicated or made up.
 */
import { describe, expect, it } from 'vitest';
import { watch } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AuditEntry } from '../../core/audit/entry.js';
import { startCli } from '../helpers/cli.js';
import { runInProcess, statusJson } from '../cli/in-process.js';
import { tempDir } from '../helpers/temp.js';
import { storeWithCertificate } from '../helpers/fixtures.js';

const pw = 'the backup password';

// Reads after a kill go through the CLI's own main in this process: only the killed run needs its own.
async function fingerprint(dataDir: string): Promise<string> {
  return (await statusJson(dataDir)).current.fingerprintSha256;
}

/** Renew entries in the raw file, before anything could settle it. */
const renewLines = async (dataDir: string) =>
  (await readFile(join(dataDir, 'audit.jsonl'), 'utf8').catch(() => ''))
    .split('\n')
    .filter((l) => l.includes('"renew"') && l.includes('"ok"')).length;

describe('a renewal killed at any moment keeps its audit entry', () => {
  it('killed as its commit lands, and at points over its run: one entry per committed renewal, the log verifies', async () => {
    const dataDir = join(await tempDir('cm-audit-crash-'), 'store');
    await storeWithCertificate(dataDir, pw);
    const fingerprints = [await fingerprint(dataDir)];
    let recovered = 0;
    // null: kill as soon as CURRENT changes (the commit point); a number: kill after that many ms.
    const plan: (number | null)[] = [null, null, null, null, 150, 400, 700, null];
    for (const [i, delay] of plan.entries()) {
      const linesBefore = await renewLines(dataDir);
      const { child, done } = startCli(['-c', `renewed password ${i}`, '--key-size', '2048'], { dataDir });
      if (delay === null) {
        // The commit renames a temporary onto CURRENT: the kill follows the file system's event
        // at once, where polling CURRENT would take a core from the renewal it waits for. (The
        // watch begins in the tick that spawned the process, before it can have run.)
        const watcher = watch(dataDir, (_, name) => void (name === 'CURRENT' && child.kill('SIGKILL')));
        void done.then(() => watcher.close());
      } else {
        const timer = setTimeout(() => child.kill('SIGKILL'), delay);
        void done.then(() => clearTimeout(timer));
      }
      await done;
      const now = await fingerprint(dataDir);
      const committed = now !== fingerprints.at(-1);
      if (committed) {
        fingerprints.push(now);
        // The process died before writing its line: what `audit` below must bring back.
        if ((await renewLines(dataDir)) === linesBefore) recovered++;
      }
      const r = await runInProcess(['audit', '--verify', '--json'], { dataDir });
      expect(r.code, r.stderr).toBe(0);
      const { entries } = JSON.parse(r.stdout) as { entries: AuditEntry[] };
      const renewals = entries.filter((e) => e.operation === 'renew' && e.result === 'ok');
      // Exactly one entry per committed renewal, in order, each naming what it made.
      expect(renewals.map((e) => e.fingerprintAfter)).toEqual(fingerprints.slice(1));
      expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
      await rm(join(dataDir, 'store.lock'), { recursive: true, force: true });
    }
    expect(fingerprints.length).toBeGreaterThan(1);
    // The window the test is for was hit (the commit point is watched, so it is, nearly every time).
    expect(recovered).toBeGreaterThan(0);
    console.log(`audit crash test: ${fingerprints.length - 1} renewals committed, ${recovered} of them killed before their log line and recovered`);
  }, 180_000);
});
