#!/usr/bin/env node
// Runs the whole test suite with Vitest and ends with one plain line, "N passed, N failed,
// N skipped", that CI reads. Extra arguments are passed to Vitest (e.g. a file filter).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * The tests make their temporary folders (stores, Wine prefixes, browser profiles) under one
 * folder per run, removed at the end: a test that fails before its clean-up, or a process it
 * killed, leaves nothing behind in the system's temporary folder. Runs that were themselves
 * killed leave theirs; the next run removes those whose process is gone.
 */
const RUN_PREFIX = 'certificatemanager-tests-';
function removeAbandonedRuns(parent) {
  for (const name of readdirSync(parent)) {
    if (!name.startsWith(RUN_PREFIX)) continue;
    const pid = Number(name.slice(RUN_PREFIX.length).split('-')[0]);
    if (!pid) continue;
    try {
      process.kill(pid, 0);
    } catch (error) {
      if (error.code === 'ESRCH') rmSync(join(parent, name), { recursive: true, force: true });
    }
  }
}
const parent = tmpdir();
removeAbandonedRuns(parent);
const runTmp = mkdtempSync(join(parent, `${RUN_PREFIX}${process.pid}-`));

const report = '.vitest-report.json';
rmSync(report, { force: true });
const result = spawnSync(
  process.execPath,
  ['node_modules/vitest/vitest.mjs', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${report}`, ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, TMPDIR: runTmp, TEMP: runTmp, TMP: runTmp } },
);
rmSync(runTmp, { recursive: true, force: true, maxRetries: 3 });
let passed = 0, failed = 0, skipped = 0;
try {
  const json = JSON.parse(readFileSync(report, 'utf8'));
  passed = json.numPassedTests;
  failed = json.numFailedTests + (json.numRuntimeErrorTestSuites ?? 0);
  skipped = (json.numPendingTests ?? 0) + (json.numTodoTests ?? 0);
  // A file that failed to load counts as a failure even when it had no tests to count.
  for (const file of json.testResults ?? []) if (file.status === 'failed' && file.assertionResults.length === 0) failed++;
} catch {
  failed = Math.max(failed, 1);
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(result.status === 0 && failed === 0 ? 0 : 1);
