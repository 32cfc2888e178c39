/**
 * Every command of `certificatemanager`, once: the words that call it, its line in --help, how
 * its arguments become a Command, and how it runs. parse.ts splits the line into words, options
 * and flags and hands them to the entry here; help.ts prints the entries' help in this order;
 * main.ts reads passwords, refuses bad lines and calls the entry's run. Adding a command is one
 * entry here.
 *
 * This module is loaded on every start: it imports only limits and errors, and each run imports
 * its operation when it runs (the zip writer only for -b/-g/-c, Fastify and the agent only for
 * serve/agent/-l). Keep new imports here type-only or inside a run.
 */
import { usageError } from '../errors.js';
import { KEY_SIZES, VALIDITY_DAYS } from '../limits.js';
import type { OperationContext } from '../ops/context.js';
import type { CliIo } from './io.js';

export type Command =
  | { name: 'help' }
  | { name: 'version' }
  | { name: 'generate'; password: string; keySize?: number; validityDays?: number; subject?: string }
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

/** The rest of the line, split by parse.ts: the words after the verb, the options and the flags. */
export interface CommandLine {
  rest: readonly string[];
  option(name: string): string | undefined;
  flag(name: string): boolean;
}

/** What a run gets from main.ts: the operation context (data folder, progress lines) and output. */
export interface RunEnv {
  context: OperationContext & { dataDir: string };
  json: boolean;
  io: CliIo;
  /** Writes a line to stdout. */
  out(text: string): void;
  /** Writes `value` as JSON with --json, else `text`. */
  print(value: unknown, text: string): void;
}

export interface CommandSpec<C extends Command = Command> {
  /** The word that calls it (matched without regard to case). */
  verb: string;
  /** Its first argument is a password: taken literally, never echoed back. */
  takesPassword: boolean;
  /** Its lines under "Usage:" in --help. */
  help: string;
  parse(line: CommandLine): C;
  /** Runs the command this entry parsed (its password already read); returns the exit code. */
  run(command: C, env: RunEnv): Promise<number>;
}

/** One entry, typed by the command it makes: its run takes exactly what its parse returns. */
const entry = <N extends Command['name']>(spec: CommandSpec<Extract<Command, { name: N }>>) => spec as unknown as CommandSpec;

/** A key size from the command line, checked by the key module (loaded only for -g and -c). */
async function checkedKeySize(bits: number | undefined) {
  if (!bits) return undefined;
  const { assertKeySize } = await import('../pki/keys.js');
  return assertKeySize(bits);
}

/** "Usage: certificatemanager <usage>" unless the line has exactly `count` words after the verb. */
function expectWords(line: CommandLine, count: number, usage: string): void {
  if (line.rest.length !== count) throw usageError('BAD_ARGUMENTS', `Usage: certificatemanager ${usage}`);
}

function intOption(value: string | undefined, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError('BAD_OPTION', `${name} takes a whole number from ${min} to ${max}.`);
  return n;
}

/** --key-size and --days: read by -g and -c, and checked on every line (parse.ts). */
export const keySizeOf = (line: CommandLine) => intOption(line.option('--key-size'), '--key-size', KEY_SIZES[0], KEY_SIZES.at(-1)!);
export const validityDaysOf = (line: CommandLine) => intOption(line.option('--days'), '--days', VALIDITY_DAYS.min, VALIDITY_DAYS.max);

/** -r and -re: the same restore, and -re marks the key not exportable. */
function restoreCommand(verb: '-r' | '-re', exportable: boolean, help: string): CommandSpec {
  return entry<'restore'>({
    verb,
    takesPassword: true,
    help,
    parse: (line) => {
      expectWords(line, 2, `${verb} <password> <backup .zip or .pfx>`);
      return { name: 'restore', password: line.rest[0]!, path: line.rest[1]!, exportable };
    },
    run: async (command, { context, print }) => {
      const { restoreCertificate } = await import('../ops/restore.js');
      const status = await restoreCertificate(context, { path: command.path, password: command.password, exportable: command.exportable });
      print(status, `Restored the certificate ${status.current!.fingerprintSha256}${command.exportable ? '' : ' (key not exportable)'}.`);
      return 0;
    },
  });
}

/** serve, agent and -l: the server side and the reference agent, in their own module. */
const runFleet = async (command: Extract<Command, { name: 'list-clients' | 'serve' | 'agent' }>, { context, json, io, out }: RunEnv) =>
  (await import('./fleet-commands.js')).runFleetCommand(command, { dataDir: context.dataDir, json, io, out });

const AGENT_USAGE = 'Usage: certificatemanager agent --server <url> --state <folder> [--trust <cer>]';

export const COMMANDS: readonly CommandSpec[] = [
  entry<'generate'>({
    verb: '-g',
    takesPassword: true,
    help: '  certificatemanager -g <password>                 Generate a new certificate (first run)',
    parse: (line) => {
      expectWords(line, 1, '-g <password>');
      return { name: 'generate', password: line.rest[0]!, keySize: keySizeOf(line), validityDays: validityDaysOf(line), subject: line.option('--subject') };
    },
    run: async (command, { context, print }) => {
      const { generateCertificate } = await import('../ops/generate.js');
      const r = await generateCertificate(context, { password: command.password, keySize: await checkedKeySize(command.keySize), validityDays: command.validityDays, subject: command.subject });
      print(r, `Generated a new server authentication certificate.\n  Fingerprint (SHA-256): ${r.status.current!.fingerprintSha256}\n  Valid until: ${r.status.current!.notAfter}\n  Backup (protected by the password): ${r.backupPath}`);
      return 0;
    },
  }),
  entry<'backup'>({
    verb: '-b',
    takesPassword: true,
    help: '  certificatemanager -b <password> <export.zip>    Back up the current certificate',
    parse: (line) => {
      expectWords(line, 2, '-b <password> <export path .zip>');
      return { name: 'backup', password: line.rest[0]!, outPath: line.rest[1]! };
    },
    run: async (command, { context, print }) => {
      // The password's key stretching starts first: PBKDF2 on the threadpool, the MAC in slices
      // between the steps that load the backup code and read the store. One process per
      // command makes that start-up count.
      const { startBackupProtectionEarly } = await import('../ops/backup-protection.js');
      const protection = startBackupProtectionEarly(command.password, context.iterations);
      const { backupCertificate } = await import('../ops/backup.js');
      const r = await backupCertificate(context, { password: command.password, outPath: command.outPath }, protection);
      print(r, `Backed up the certificate ${r.fingerprintSha256} to ${r.path}`);
      return 0;
    },
  }),
  restoreCommand('-r', true, '  certificatemanager -r <password> <backup>        Restore from a backup .zip or a .pfx/.p12'),
  restoreCommand('-re', false, '  certificatemanager -re <password> <backup>       Restore; the key is marked not exportable'),
  entry<'renew'>({
    verb: '-c',
    takesPassword: true,
    help: '  certificatemanager -c <new password>             Renew: new key and certificate; agents follow',
    parse: (line) => {
      expectWords(line, 1, '-c <new password>');
      return { name: 'renew', password: line.rest[0]!, keySize: keySizeOf(line), validityDays: validityDaysOf(line) };
    },
    run: async (command, { context, print }) => {
      const { renewCertificate } = await import('../ops/renew.js');
      const r = await renewCertificate(context, { password: command.password, keySize: await checkedKeySize(command.keySize), validityDays: command.validityDays });
      print(r, `Renewed the certificate. Agents will move to it automatically.\n  New fingerprint (SHA-256): ${r.status.current!.fingerprintSha256}\n  Valid until: ${r.status.current!.notAfter}\n  Backup (protected by the new password): ${r.backupPath}`);
      return 0;
    },
  }),
  entry<'export'>({
    verb: '-e',
    takesPassword: false,
    help: '  certificatemanager -e <agent.cer>                Export the public certificate agents need',
    parse: (line) => {
      expectWords(line, 1, '-e <output .cer>');
      return { name: 'export', outPath: line.rest[0]! };
    },
    run: async (command, { context, print }) => {
      const { exportAgentCertificate } = await import('../ops/export.js');
      const r = await exportAgentCertificate(context, command.outPath);
      print({ path: r.path }, `Exported the agent certificate to ${r.path}`);
      return 0;
    },
  }),
  entry<'export-pfx'>({
    verb: 'export-pfx',
    takesPassword: true,
    help: `  certificatemanager export-pfx <password> <file.pfx> [--compat legacy]
                                                   Export key, certificate and CA chain as a
                                                   .pfx for another Windows server or IIS;
                                                   --compat legacy (3DES/SHA-1, weaker) only for
                                                   Windows Server 2016 and older`,
    parse: (line) => {
      expectWords(line, 2, 'export-pfx <password> <file.pfx> [--compat legacy]');
      const compat = line.option('--compat') ?? 'modern';
      if (compat !== 'modern' && compat !== 'legacy') throw usageError('BAD_OPTION', '--compat takes "legacy" (for Windows Server 2016 and older) or "modern" (the default).');
      return { name: 'export-pfx', password: line.rest[0]!, outPath: line.rest[1]!, compat };
    },
    run: async (command, { context, io, print }) => {
      const { exportPfx } = await import('../ops/export-pfx.js');
      const r = await exportPfx(context, { password: command.password, outPath: command.outPath, compat: command.compat });
      if (r.compat === 'legacy')
        io.stderr.write('certificatemanager: warning: the legacy .pfx (3DES, SHA-1) is weaker; use it only for servers that cannot import the default, and delete it after the import.\n');
      print(r, `Exported the certificate ${r.fingerprintSha256} with its key${r.chainLength ? ` and ${r.chainLength} CA certificate(s)` : ''} to ${r.path}${r.compat === 'legacy' ? ' (legacy 3DES/SHA-1 profile)' : ''}`);
      return 0;
    },
  }),
  entry<'list-clients'>({
    verb: '-l',
    takesPassword: false,
    help: '  certificatemanager -l <clients.csv>              List clients without a valid certificate',
    parse: (line) => {
      expectWords(line, 1, '-l <output .csv>');
      return { name: 'list-clients', outPath: line.rest[0]! };
    },
    run: runFleet,
  }),
  entry<'status'>({
    verb: 'status',
    takesPassword: false,
    help: '  certificatemanager status [--json]               Show the current certificate',
    parse: (line) => {
      expectWords(line, 0, 'status [--json]');
      return { name: 'status' };
    },
    run: async (_command, { context: { dataDir }, json, out, print }) => {
      const { getStatus } = await import('../ops/status.js');
      const status = await getStatus(dataDir);
      if (json) return print(status, ''), 0;
      const c = status.current;
      if (!c) {
        out(`No certificate yet in ${dataDir}. Generate one with -g <password> or restore a backup with -r.`);
        return 0;
      }
      out(
        [
          `Server authentication certificate (${dataDir})`,
          `  Subject:      ${c.subject || '(empty: the server is named in the subjectAltName)'}`,
          `  Serial:       ${c.serialNumber}`,
          `  Fingerprint:  ${c.fingerprintSha256}`,
          `  Valid:        ${c.notBefore} to ${c.notAfter}`,
          `  Key:          RSA ${c.keySize} bits, ${c.exportable ? 'exportable' : 'not exportable'}`,
          `  Version:      ${c.version} (${c.source} ${c.installedAt})`,
          `  Replaced:     ${status.replaced.length === 0 ? 'none' : ''}`,
          ...status.replaced.map((r) => `    v${r.version} ${r.fingerprintSha256} replaced ${r.replacedAt}`),
        ].join('\n'),
      );
      return 0;
    },
  }),
  entry<'audit'>({
    verb: 'audit',
    takesPassword: false,
    help: `  certificatemanager audit [--verify [--head <index.jws>]] [--json]
                                                   Who did what to the certificate, and when;
                                                   --verify checks that no entry was changed,
                                                   removed or reordered (exit 4 with the first
                                                   broken entry); --head also checks the log
                                                   against a signed feed head (from a mirror
                                                   or an agent), which commits to the log`,
    parse: (line) => {
      expectWords(line, 0, 'audit [--verify [--head <index.jws>]] [--json]');
      // A head to check against only makes sense when verifying.
      const headPath = line.option('--head');
      return { name: 'audit', verify: line.flag('--verify') || headPath !== undefined, headPath };
    },
    run: async (command, env) => (await import('./audit-command.js')).runAudit(command, env),
  }),
  entry<'verify-backup'>({
    verb: 'verify-backup',
    takesPassword: true,
    help: `  certificatemanager verify-backup <password> <backup>
                                                   Check a backup completely; change nothing`,
    parse: (line) => {
      expectWords(line, 2, 'verify-backup <password> <backup .zip or .pfx>');
      return { name: 'verify-backup', password: line.rest[0]!, path: line.rest[1]! };
    },
    run: async (command, { context, print }) => {
      const { verifyBackup } = await import('../ops/verify-backup.js');
      const r = await verifyBackup(context, { path: command.path, password: command.password });
      print(r, `The backup is good: ${r.format}, ${r.certificate.subject}, fingerprint ${r.certificate.fingerprintSha256}, valid until ${r.certificate.notAfter}.`);
      return 0;
    },
  }),
  entry<'serve'>({
    verb: 'serve',
    takesPassword: false,
    help: `  certificatemanager serve [--host H] [--port N] [--publish <folder>]
                                                   Serve the signed feed and take agent logs`,
    parse: (line) => {
      expectWords(line, 0, 'serve [--host 127.0.0.1] [--port 8443] [--publish <folder>]');
      return { name: 'serve', host: line.option('--host') ?? '127.0.0.1', port: intOption(line.option('--port'), '--port', 0, 65535) ?? 8443, publishDir: line.option('--publish') };
    },
    run: runFleet,
  }),
  entry<'agent'>({
    verb: 'agent',
    takesPassword: false,
    help: `  certificatemanager agent --server <url> --state <folder> [--trust <cer>] [--once]
                         [--upload-interval <minutes>]
  certificatemanager agent import-cert <cer> --state <folder>
                                                   Reference agent, and its manual fix
                                                   (agent --once exits 0 when everything
                                                   verified, 4 when something was refused,
                                                   1 when the server was unreachable,
                                                   5 without a trusted certificate)`,
    parse: (line) => {
      const state = line.option('--state');
      if (!state) throw usageError('BAD_ARGUMENTS', AGENT_USAGE);
      if (line.rest[0] === 'import-cert') {
        if (line.rest.length !== 2) throw usageError('BAD_ARGUMENTS', 'Usage: certificatemanager agent import-cert <cer> --state <folder>');
        return { name: 'agent', action: 'import-cert', certPath: line.rest[1]!, state, once: false };
      }
      expectWords(line, 0, 'agent --server <url> --state <folder> [--trust <cer>] [--once]');
      const server = line.option('--server');
      if (!server) throw usageError('BAD_ARGUMENTS', AGENT_USAGE);
      return { name: 'agent', action: 'run', server, state, trust: line.option('--trust'), once: line.flag('--once'), uploadIntervalMinutes: intOption(line.option('--upload-interval'), '--upload-interval', 1, 1440) };
    },
    run: runFleet,
  }),
];

/** The entry for a verb, or undefined. */
export const commandFor = (verb: string): CommandSpec | undefined => COMMANDS.find((c) => c.verb === verb.toLowerCase());
