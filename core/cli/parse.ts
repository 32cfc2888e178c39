/**
 * Parses the original tool's flags exactly (`-b <password> <zip>`, `-r`, `-re`, `-c`, `-e`) plus
 * ours. Hand-written because `-re` is not a valid short option for any general parser and the
 * flags take positional values; the grammar is small and fully tested.
 */
import { usageError } from '../errors.js';
import { KEY_SIZES, VALIDITY_DAYS } from '../limits.js';

export type Command =
  | { name: 'help' }
  | { name: 'version' }
  | { name: 'generate'; password: string; keySize?: number; validityDays?: number; commonName?: string }
  | { name: 'backup'; password: string; outPath: string }
  | { name: 'restore'; password: string; path: string; exportable: boolean }
  | { name: 'renew'; password: string; keySize?: number; validityDays?: number }
  | { name: 'export'; outPath: string }
  | { name: 'export-pfx'; password: string; outPath: string; compat: 'modern' | 'legacy' }
  | { name: 'list-clients'; outPath: string }
  | { name: 'status' }
  | { name: 'audit'; verify: boolean; headPath?: string }
  | { name: 'verify-backup'; password: string; path: string }
  | { name: 'serve'; host: string; port: number; publishDir?: string }
  | { name: 'agent'; server?: string; state: string; trust?: string; once: boolean; uploadIntervalMinutes?: number; action: 'run' | 'import-cert'; certPath?: string };

interface Invocation {
  command: Command;
  dataDir?: string;
  json: boolean;
}

/** Options that take a value, wherever they stand on the line. */
const VALUE_OPTIONS = new Set(['--data-dir', '--key-size', '--days', '--subject', '--host', '--port', '--publish', '--server', '--state', '--trust', '--upload-interval', '--compat', '--head']);
const FLAG_OPTIONS = new Set(['--json', '--help', '-h', '--version', '--once', '--verify']);
/** Verbs whose first argument is a password. */
const PASSWORD_VERBS = new Set(['-g', '-b', '-r', '-re', '-c', 'verify-backup', 'export-pfx']);

function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError('BAD_OPTION', `${name} takes a whole number from ${min} to ${max}.`);
  return n;
}

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
  const expect = (count: number, usage: string) => {
    if (rest.length !== count) throw usageError('BAD_ARGUMENTS', `Usage: certificatemanager ${usage}`);
  };
  const keySize = intOption(options.get('--key-size'), '--key-size', KEY_SIZES[0], KEY_SIZES.at(-1)!);
  const validityDays = intOption(options.get('--days'), '--days', VALIDITY_DAYS.min, VALIDITY_DAYS.max);
  switch (verb.toLowerCase()) {
    case '-g':
      expect(1, '-g <password>');
      return done({ name: 'generate', password: rest[0]!, keySize, validityDays, commonName: options.get('--subject') });
    case '-b':
      expect(2, '-b <password> <export path .zip>');
      return done({ name: 'backup', password: rest[0]!, outPath: rest[1]! });
    case '-r':
      expect(2, '-r <password> <backup .zip or .pfx>');
      return done({ name: 'restore', password: rest[0]!, path: rest[1]!, exportable: true });
    case '-re':
      expect(2, '-re <password> <backup .zip or .pfx>');
      return done({ name: 'restore', password: rest[0]!, path: rest[1]!, exportable: false });
    case '-c':
      expect(1, '-c <new password>');
      return done({ name: 'renew', password: rest[0]!, keySize, validityDays });
    case '-e':
      expect(1, '-e <output .cer>');
      return done({ name: 'export', outPath: rest[0]! });
    case 'export-pfx': {
      expect(2, 'export-pfx <password> <file.pfx> [--compat legacy]');
      const compat = options.get('--compat') ?? 'modern';
      if (compat !== 'modern' && compat !== 'legacy') throw usageError('BAD_OPTION', '--compat takes "legacy" (for Windows Server 2016 and older) or "modern" (the default).');
      return done({ name: 'export-pfx', password: rest[0]!, outPath: rest[1]!, compat });
    }
    case '-l':
      expect(1, '-l <output .csv>');
      return done({ name: 'list-clients', outPath: rest[0]! });
    case 'status':
      expect(0, 'status [--json]');
      return done({ name: 'status' });
    case 'audit':
      expect(0, 'audit [--verify [--head <index.jws>]] [--json]');
      // A head to check against only makes sense when verifying.
      return done({ name: 'audit', verify: flags.has('--verify') || options.has('--head'), headPath: options.get('--head') });
    case 'verify-backup':
      expect(2, 'verify-backup <password> <backup .zip or .pfx>');
      return done({ name: 'verify-backup', password: rest[0]!, path: rest[1]! });
    case 'serve':
      expect(0, 'serve [--host 127.0.0.1] [--port 8443] [--publish <folder>]');
      return done({ name: 'serve', host: options.get('--host') ?? '127.0.0.1', port: intOption(options.get('--port'), '--port', 0, 65535) ?? 8443, publishDir: options.get('--publish') });
    case 'agent': {
      const state = options.get('--state');
      if (!state) throw usageError('BAD_ARGUMENTS', 'Usage: certificatemanager agent --server <url> --state <folder> [--trust <cer>]');
      if (rest[0] === 'import-cert') {
        if (rest.length !== 2) throw usageError('BAD_ARGUMENTS', 'Usage: certificatemanager agent import-cert <cer> --state <folder>');
        return done({ name: 'agent', action: 'import-cert', certPath: rest[1]!, state, once: false });
      }
      expect(0, 'agent --server <url> --state <folder> [--trust <cer>] [--once]');
      const server = options.get('--server');
      if (!server) throw usageError('BAD_ARGUMENTS', 'Usage: certificatemanager agent --server <url> --state <folder> [--trust <cer>]');
      return done({ name: 'agent', action: 'run', server, state, trust: options.get('--trust'), once: flags.has('--once'), uploadIntervalMinutes: intOption(options.get('--upload-interval'), '--upload-interval', 1, 1440) });
    }
    default:
      throw usageError('UNKNOWN_COMMAND', `Unknown command ${verb}. See certificatemanager --help.`);
  }
}
