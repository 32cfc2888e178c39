import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { stopWineServer } from './installer/wine-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** A folder for the whole run, shared by the workers (the Wine prefix); deleted when the run ends. */
    runScratch: string;
  }
}

let runScratch: string | undefined;

/**
 * The CLI tests run the real compiled command, so compile core/ and electron/ once first, then
 * drop outputs whose source is gone and bundle the command bin/ runs (scripts/build-cli.mjs),
 * as `npm run build:core` does.
 * Both test projects (vitest.config.ts) name this setup; the first to run builds, once per run.
 */
export default function setup(project: TestProject): () => void {
  runScratch ??= mkdtempSync(join(tmpdir(), 'cm-test-run-'));
  project.provide('runScratch', runScratch);
  const teardown = () => {
    if (!runScratch) return;
    stopWineServer(join(runScratch, 'wine-prefix'));
    rmSync(runScratch, { recursive: true, force: true });
    runScratch = undefined;
  };
  if (process.env['CM_TEST_BUILD_DONE'] === String(process.pid)) return teardown;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/prune-dist.mjs'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: 'inherit' });
  process.env['CM_TEST_BUILD_DONE'] = String(process.pid);
  return teardown;
}
