/**
 * Entry point of the Electron main process (compiled to dist/electron/main.js, package.json
 * "main"). Decides between the command line and the window; see main/cli-args.ts.
 *
 * Everything up to startApp() runs synchronously during module evaluation, before Electron's
 * `ready`: do not add an `await` before it.
 */
import { app } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isCliInvocation, userArgsFrom } from './main/cli-args.js';
import { runCliMode } from './main/cli-runner.js';
import { startApp } from './main/app.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/electron
const args = userArgsFrom(process.argv, Boolean(process.defaultApp));

if (isCliInvocation(args)) {
  app.dock?.hide();
  void runCliMode(args, {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  }).then((code) => app.exit(code));
} else {
  startApp({
    args,
    preloadPath: path.join(here, 'preload.cjs'),
    rendererDir: path.join(here, '..', 'renderer'),
  });
}
