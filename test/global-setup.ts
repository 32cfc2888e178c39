import { execFileSync } from 'node:child_process';

/**
 * The CLI tests run the real compiled command, so compile core/ and electron/ once first, then
 * bundle the command bin/ runs (scripts/build-cli.mjs), as `npm run build:core` does.
 */
export default function setup(): void {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
  execFileSync(process.execPath, ['scripts/build-cli.mjs'], { stdio: 'inherit' });
}
