/**
 * Parses the original tool's flags exactly (`-b <password> <zip>`, `-r`, `-re`, `-c`, `-e`) plus
 * ours. Hand-written because `-re` is not a valid short option for any general parser and the
 * flags take positional values; the grammar is small and fully tested. This file splits the line
 * into words, options and flags; each command's own arguments are read by its entry in
 * commands.ts.
 */
import { usageError } from '../errors.js';
import { COMMANDS, commandFor, keySizeOf, validityDaysOf, type Command, type CommandLine, type CommandSpec } from './commands.js';

export type { Command } from './commands.js';

interface Invocation {
  command: Command;
  /** The entry that parsed the command, which runs it; none for help and --version. */
  spec?: CommandSpec;
  dataDir?: string;
  json: boolean;
}

/** Options that take a value, wherever they stand on the line. */
const VALUE_OPTIONS = new Set(['--data-dir', '--key-size', '--days', '--subject', '--host', '--port', '--publish', '--server', '--state', '--trust', '--upload-interval', '--compat', '--head']);
const FLAG_OPTIONS = new Set(['--json', '--help', '-h', '--version', '--once', '--verify']);
/** Verbs whose first argument is a password (commands.ts says which). */
const PASSWORD_VERBS = new Set(COMMANDS.filter((c) => c.takesPassword).map((c) => c.verb));

export function parseArguments(argv: readonly string[]): Invocation {
  const options = new Map<string, string>();
  const flags = new Set<string>();
  const words: string[] = [];
  // After a verb whose next argument is a password, that argument is taken literally, even
  // when it starts with "--" (and so it is never echoed back as an "unknown option").
  let literalNext = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (literalNext) {
      literalNext = false;
      words.push(arg);
      continue;
    }
    if (words.length === 0 && PASSWORD_VERBS.has(arg.toLowerCase())) {
      words.push(arg);
      literalNext = true;
      continue;
    }
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    if (VALUE_OPTIONS.has(name)) {
      const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || value === '') throw usageError('MISSING_VALUE', `${name} needs a value. See certificatemanager --help.`);
      options.set(name, value);
    } else if (FLAG_OPTIONS.has(arg)) {
      flags.add(arg);
    } else if (arg.startsWith('--')) {
      // On a line with a password it may be the password itself, given in the wrong place.
      const shown = words.length > 0 && PASSWORD_VERBS.has(words[0]!.toLowerCase()) ? '(not shown: it may be a password in the wrong place)' : arg.slice(0, 40);
      throw usageError('UNKNOWN_OPTION', `Unknown option ${shown}. See certificatemanager --help.`);
    } else {
      words.push(arg);
    }
  }
  const json = flags.has('--json');
  const dataDir = options.get('--data-dir');
  const done = (command: Command): Invocation => ({ command, dataDir, json });
  if (flags.has('--version')) return done({ name: 'version' });
  // "-b <password> -h" is a command with a stray flag (or a file named "-h"), not a request for
  // help: printing help and exiting 0 would tell a script that the backup was made.
  if ((flags.has('--help') || flags.has('-h')) && words.length > 1 && PASSWORD_VERBS.has(words[0]!.toLowerCase()))
    throw usageError('HELP_IN_COMMAND', `-h/--help cannot be part of ${words[0]!.toLowerCase()}; nothing was done. Run certificatemanager --help on its own, or give the file as ./-h.`);
  if (flags.has('--help') || flags.has('-h') || words[0] === 'help' || words[0] === '/?') return done({ name: 'help' });
  if (words.length === 0) return done({ name: 'help' });

  const [verb, ...rest] = words as [string, ...string[]];
  const line: CommandLine = { rest, option: (name) => options.get(name), flag: (name) => flags.has(name) };
  // Checked on every command line, as they always were, whether or not the command uses them.
  keySizeOf(line);
  validityDaysOf(line);
  const spec = commandFor(verb);
  if (!spec) throw usageError('UNKNOWN_COMMAND', `Unknown command ${verb}. See certificatemanager --help.`);
  return { ...done(spec.parse(line)), spec };
}
