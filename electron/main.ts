/**
 * Entry point of the Electron main process (compiled to dist/electron/main.js, package.json
 * "main"). Decides between the command line and the window; see main/cli-args.ts.
 *
 * Everything up to startApp() runs during module evaluation, before Electron's `ready`: the one
 * `await` is the top-level import of the window code, which Electron waits for before `ready`
 * (docs/tutorial/esm.md, "You must use await generously before the app's ready event"). Do not
 * start anything before it that is not awaited. The CLI path never loads the window code and
 * the contract's service behind it (~0.4 s of imports on every command).
 */
import { app } from 'electron';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decideLaunch } from './main/cli-args.js';
import { runCliMode } from './main/cli-runner.js';
import { standardInput } from '../core/platform/console-io.js';
import { listenForStopRequests, stopPipeName } from '../core/platform/stop-requests.js';

const here = path.dirname(fileURLToPath(import.meta.url)); // dist/electron
// The unsafe-switch check runs here, before the CLI/window branch, so it covers both.
const launch = decideLaunch(process.argv, { defaultApp: Boolean(process.defaultApp), isPackaged: app.isPackaged });

if (launch.kind === 'refuse') {
  console.error(launch.message);
  app.exit(1);
} else if (launch.kind === 'cli') {
  app.dock?.hide();
  if (process.platform === 'win32') {
    // Ctrl+C reaches the console launcher, not this GUI-subsystem process: the launcher asks over
    // this pipe, and `serve`/`agent` stop as on SIGINT (close, print "Stopped.", release the lock).
    // Without the pipe the launcher still terminates the process after its grace period.
    listenForStopRequests(stopPipeName(process.pid), () => process.emit('SIGINT', 'SIGINT')).catch((error: unknown) =>
      console.warn(`certificatemanager: Ctrl+C will stop this command abruptly (${error instanceof Error ? error.message : String(error)})`),
    );
  }
  void runCliMode(launch.args, {
    // Electron's process.stdin on win32 only ends: read fd 0 directly (core/platform/console-io.ts).
    stdin: standardInput({ platform: process.platform, processStdin: process.stdin }),
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
  }).then((code) => app.exit(code));
} else {
  const { startApp } = await import('./main/app.js');
  startApp({
    args: launch.args,
    preloadPath: path.join(here, 'preload.cjs'),
    rendererDir: path.join(here, '..', 'renderer'),
  });
}
