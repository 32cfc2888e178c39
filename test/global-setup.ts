import { execFileSync } from 'node:child_process';

/**
 * The CLI tests run the real compiled command, so compile core/ and electron/ once first, then
 * drop outputs whose source is gone and bundle the command bin/ runs (scripts/build-cli.mjs),
 * as `npm run build:core` does.
 * Both test projects (vitest.config.ts) name this setup; the first to run builds, once per run.
 */
export default function setup(): void {
  if (process.env['CM_TEST_BUILD_DONE'] === String(process.pid)) return;
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/prune-dist.mjs'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: 'inherit' });
  process.env['CM_TEST_BUILD_DONE'] = String(process.pid);
}
