/**
 * "Is this launch of the app a command-line invocation?" — decided here, purely, from argv.
 *
 * The same executable is the desktop app (double-clicked, no arguments) and the drop-in
 * `certificatemanager.exe -b <password> <zip>` of the original tool. When the user's arguments
 * contain a CLI flag or start with a CLI command, main runs core/cli's runCli and exits with its
 * code, without ever creating a window.
 */

/** Flags of the original tool and of our CLI. Any of them anywhere means "CLI". */
export const CLI_FLAGS: ReadonlySet<string> = new Set(['-b', '-r', '-re', '-c', '-e', '-g', '-l', '-h', '--help', '--version', '--json']);
/** Commands, recognised as the first positional argument. */
export const CLI_COMMANDS: ReadonlySet<string> = new Set(['status', 'verify-backup', 'serve', 'agent', 'help', '/?']);

/**
 * Switches that Chromium, Electron, Node or the OS may put on the command line and that are not
 * the user's: they never make a launch a CLI one and are not passed on to runCli.
 */
const HOST_SWITCH_PREFIXES = [
  '--inspect',
  '--remote-debugging-port',
  '--remote-debugging-pipe',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--enable-logging',
  '--v=',
  '--vmodule',
  '--log-file',
  '--user-data-dir',
  '--lang=',
  '--ozone-platform',
  '--enable-features',
  '--disable-features',
  '--enable-crash-reporter',
  '--allow-file-access-from-files',
  '--force-device-scale-factor',
  '--high-dpi-support',
  '--squirrel-',
  '--no-zygote',
  '--headless',
];

export function isHostSwitch(arg: string): boolean {
  if (arg.startsWith('-psn_')) return true; // macOS Finder's process serial number
  return HOST_SWITCH_PREFIXES.some((prefix) =>
    prefix.endsWith('=') || prefix.endsWith('-')
      ? arg.startsWith(prefix)
      : arg === prefix || arg.startsWith(`${prefix}=`) || arg.startsWith(`${prefix}-`),
  );
}

/**
 * The user's arguments out of `process.argv`. Packaged: [exe, ...user]. Development
 * (`electron . …` or `electron dist/electron/main.js …`, process.defaultApp true): [electron,
 * [switches…], appPath, ...user]. Host switches are dropped in both cases.
 */
export function userArgsFrom(argv: readonly string[], defaultApp: boolean): string[] {
  let rest = argv.slice(1);
  if (defaultApp) {
    const appPathIndex = rest.findIndex((arg) => !arg.startsWith('-'));
    rest = appPathIndex === -1 ? [] : rest.slice(appPathIndex + 1);
  }
  // The console launcher puts "--" in front of the user's arguments (ARGS_SEPARATOR): it is the
  // launcher's, not the user's. Only the first one goes; a later "--" is the user's own.
  if (rest[0] === ARGS_SEPARATOR) rest = rest.slice(1);
  return rest.filter((arg) => !isHostSwitch(arg));
}

/**
 * What the console launcher (scripts/installer/launcher/launcher.c) puts between the program
 * name and the user's arguments. Electron on Windows refuses, with exit code -1 and no output,
 * any command line where an argument follows a URL-like one ("https://host:8443", "Pass:w0rd"),
 * unless a literal "--" comes first: electron/electron shell/app/command_line_args.cc,
 * CheckCommandLineArguments/IsUrlArg, called from wWinMain in shell/app/electron_main_win.cc
 * (the CVE-2018-1000006 fix). See docs/console-entry-point.md.
 */
export const ARGS_SEPARATOR = '--';

/** True when `args` (the user's arguments) ask for the command line rather than the window. */
export function isCliInvocation(args: readonly string[]): boolean {
  let firstPositional: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--data-dir') {
      i++; // its value is a path, never a command
      continue;
    }
    if (arg.startsWith('--data-dir=')) continue;
    // core/cli reads verbs case-insensitively (-B works like -b, as on Windows).
    if (CLI_FLAGS.has(arg.toLowerCase())) return true;
    if (firstPositional === undefined && !arg.startsWith('-')) firstPositional = arg.toLowerCase();
  }
  return firstPositional !== undefined && CLI_COMMANDS.has(firstPositional);
}

/**
 * Switches the packaged app refuses to start with. The app runs elevated, so a changed shortcut
 * or a scheduled task must not be able to use it to run code or drop its defences. Fuses cover
 * Node's own switches; these are Chromium's:
 * - a debugger or DevTools port (`--inspect…`, `--remote-debugging-…`);
 * - switches that launch another program in place of, or in front of, a child process
 *   (`--gpu-launcher`, `--renderer-cmd-prefix`, `--utility-cmd-prefix`, `--browser-subprocess-path`…);
 * - switches that switch off the sandbox or web security, or feed V8 flags (`--js-flags`).
 */
// Chromium takes "--", "-" and, on Windows, "/" as switch prefixes (base/command_line.cc).
const UNSAFE_SWITCH =
  /^(?:--?|\/)(inspect(-brk|-port|-publish-uid)?|remote-debugging-(port|pipe|address)|remote-allow-origins|no-sandbox|disable-gpu-sandbox|disable-web-security|disable-site-isolation-trials|allow-running-insecure-content|gpu-launcher|ppapi-plugin-launcher|renderer-cmd-prefix|utility-cmd-prefix|gpu-cmd-prefix|plugin-launcher|browser-subprocess-path|js-flags|load-extension)(=|$)/i;

export function unsafeSwitchIn(args: readonly string[]): string | null {
  const found = args.find((arg) => UNSAFE_SWITCH.test(arg));
  return found ? found.split('=')[0]! : null;
}

type LaunchDecision =
  | { kind: 'refuse'; message: string }
  | { kind: 'cli'; args: string[] }
  | { kind: 'window'; args: string[] };

/**
 * The one decision main.ts acts on, from the raw argv. The unsafe-switch check comes first, for
 * the command line as much as for the window: `CertificateManager.exe serve
 * --remote-debugging-port=9222` runs elevated, so it must be refused before anything starts.
 * The development build (not packaged) keeps the switches: Playwright's launcher uses them.
 */
export function decideLaunch(argv: readonly string[], options: { defaultApp: boolean; isPackaged: boolean }): LaunchDecision {
  const unsafe = unsafeSwitchIn(argv);
  if (options.isPackaged && unsafe) return { kind: 'refuse', message: `CertificateManager does not run with ${unsafe}: remove it from the command line or shortcut and run it again. Nothing was changed.` };
  const args = userArgsFrom(argv, options.defaultApp);
  return isCliInvocation(args) ? { kind: 'cli', args } : { kind: 'window', args };
}
