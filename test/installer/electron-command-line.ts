// A faithful re-implementation, for tests, of what happens to a command line on Windows before any
// of the app's JavaScript runs:
// 1. Chromium parses it (base/command_line.cc, CommandLine::ParseFromString ->
//    AppendSwitchesAndArguments): each word is trimmed of blanks; until a literal "--", a word
//    that starts with "--", "-" or "/" and is longer than that prefix is a switch; switches are
//    moved in front of all arguments (AppendSwitchNative inserts at begin_args_); "--" itself
//    stays, as an argument.
// 2. Electron checks the result (electron/electron shell/app/command_line_args.cc,
//    CheckCommandLineArguments + IsUrlArg, called from wWinMain in shell/app/electron_main_win.cc;
//    the CVE-2018-1000006 fix): once an argument is URL-like (the text before its first ':' is
//    longer than one character, starts with an ASCII letter and has no blank), any further
//    argument makes wWinMain return -1 with no output; a literal "--" ends the check.

const SWITCH_PREFIXES = ['--', '-', '/']; // Windows order: the longest first
const SWITCH_TERMINATOR = '--';

/** base::TrimWhitespace(TRIM_ALL) over the Unicode blanks Chromium knows (kWhitespaceWide). */
const trim = (s: string) => s.replace(/^[\s\u0085]+|[\s\u0085]+$/gu, '');

function switchPrefixLength(arg: string): number {
  return SWITCH_PREFIXES.find((p) => arg.startsWith(p))?.length ?? 0;
}

/** Chromium's `command_line->argv()` for the argv CommandLineToArgvW produced. */
export function chromiumArgv(argv: readonly string[]): string[] {
  const switches: string[] = [];
  const args: string[] = [];
  let parseSwitches = true;
  for (const raw of argv.slice(1)) {
    const arg = trim(raw);
    parseSwitches &&= arg !== SWITCH_TERMINATOR;
    const prefix = switchPrefixLength(arg);
    if (parseSwitches && prefix > 0 && prefix < arg.length) {
      const eq = arg.indexOf('=');
      // The key is lower-cased on Windows; the value is kept.
      switches.push(eq === -1 ? arg.toLowerCase() : `${arg.slice(0, eq).toLowerCase()}=${arg.slice(eq + 1)}`);
    } else {
      args.push(arg);
    }
  }
  return [argv[0] ?? '', ...switches, ...args];
}

/** shell/app/command_line_args.cc IsUrlArg. */
export function isUrlArg(arg: string): boolean {
  const end = arg.indexOf(':');
  if (end === -1) return false;
  const scheme = arg.slice(0, end);
  // std::isalpha / std::isspace with the classic "C" locale: ASCII only.
  return scheme.length > 1 && /^[A-Za-z]/.test(scheme) && !/[ \t\n\v\f\r]/.test(scheme);
}

/** shell/app/command_line_args.cc CheckCommandLineArguments: true when Electron goes on. */
export function checkCommandLineArguments(argv: readonly string[]): boolean {
  let blockArgs = false;
  for (const arg of argv) {
    if (arg === SWITCH_TERMINATOR) break;
    if (blockArgs) return false;
    if (isUrlArg(arg)) blockArgs = true;
  }
  return true;
}

/** Does Electron on Windows start with this argv (as CommandLineToArgvW gives it)? */
export function electronAcceptsOnWindows(argv: readonly string[]): boolean {
  return checkCommandLineArguments(chromiumArgv(argv));
}

/**
 * Splits a documented command line the way cmd.exe + CommandLineToArgvW would for these simple
 * examples: blanks separate, double quotes group. Redirections and pipes end the command.
 */
export function splitExample(line: string): string[] {
  const words: string[] = [];
  let current = '';
  let quoted = false;
  let inWord = false;
  for (const ch of line) {
    if (ch === '"') {
      quoted = !quoted;
      inWord = true;
    } else if (!quoted && (ch === ' ' || ch === '\t')) {
      if (inWord) words.push(current);
      current = '';
      inWord = false;
    } else if (!quoted && (ch === '<' || ch === '>' || ch === '|')) {
      break;
    } else {
      current += ch;
      inWord = true;
    }
  }
  if (inWord) words.push(current);
  return words;
}
