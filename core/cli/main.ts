/**
 * The `certificatemanager` command line: parse, run one core operation, print, exit code.
 * Errors are one line on stderr that say what to do; no stack traces. Passwords are never
 * printed, and "-" reads one from standard input.
 *
 * Admins run one process per command, so start-up is most of what `status` or `--version`
 * costs. Only parsing, errors and paths are imported up front; each command's entry in
 * commands.ts imports its operation when it runs. Keep new imports here type-only.
 */
import type { Readable, Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { CertManagerError, EXIT_CODES, toCertManagerError, usageError } from '../errors.js';
import { resolveDataDir } from '../store/paths.js';
import type { ProgressEvent } from '../schemas.js';
import { parseArguments, type Command } from './parse.js';
import type { RunEnv } from './commands.js';
import type { OperationContext } from '../ops/context.js';
import { packageVersion, type CliIo } from './io.js';

export { packageVersion, type CliIo } from './io.js';
// Small and needed on every error path: what the OS threw, and no password in any message.
import { fileSystemError } from './fs-errors.js';
import { withoutPasswords } from './redact.js';
import type { NEW_PASSWORD_PURPOSE } from './console-password.js';

/**
 * Reads the password given as "-". At a console, "-" asks for the password without echoing it (so it is neither on the command
 * line nor on the screen), twice for a new one; piped or redirected input is read as one line.
 */
async function readPasswordFromStdin(stdin: Readable, stderr: Writable, newFor?: keyof typeof NEW_PASSWORD_PURPOSE): Promise<string> {
  const tty = stdin as Readable & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  if (tty.isTTY && typeof tty.setRawMode === 'function') {
    // Loaded only when someone types at a console.
    const { promptHidden, promptNewPassword } = await import('./console-password.js');
    type ConsoleInput = Parameters<typeof promptHidden>[0];
    if (newFor) return promptNewPassword(tty as ConsoleInput, stderr, newFor);
    const typed = await promptHidden(tty as ConsoleInput, stderr);
    if (!typed) throw usageError('EMPTY_PASSWORD', 'No password was typed. Type the password, or give it on the command line.');
    return typed;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stdin) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    chunks.push(buffer);
    size += buffer.length;
    // Stop at the first line (UTF-16 files are read whole: their newline is two bytes).
    if (size > 4096 || (buffer.includes(0x0a) && !buffer.includes(0))) break;
  }
  return passwordFromBytes(Buffer.concat(chunks));
}

/**
 * The first line of what was piped in, as text. Windows tools add byte order marks (Notepad,
 * PowerShell 5's Out-File) or write UTF-16: those are decoded, never taken as part of the
 * password; anything else with NUL bytes is refused rather than guessed at.
 */
function passwordFromBytes(bytes: Buffer): string {
  let text: string;
  if (bytes[0] === 0xff && bytes[1] === 0xfe) text = bytes.subarray(2).toString('utf16le');
  else if (bytes[0] === 0xfe && bytes[1] === 0xff) text = Buffer.from(bytes.subarray(2)).swap16().toString('utf16le');
  else {
    const body = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? bytes.subarray(3) : bytes;
    if (body.includes(0)) throw usageError('PASSWORD_ENCODING', 'The password read from standard input is not text (it contains NUL bytes). Save it as UTF-8 or pipe it with echo.');
    text = body.toString('utf8');
  }
  const line = text.split(/\r?\n/)[0] ?? '';
  if (!line) throw usageError('EMPTY_PASSWORD', 'No password was read from standard input. Pipe the password in, or type it instead of "-".');
  if (line.includes('\0') || line.includes('\ufffd')) throw usageError('PASSWORD_ENCODING', 'The password read from standard input is not valid text. Save it as UTF-8 or pipe it with echo.');
  return line;
}

/**
 * "-r backup.zip MyPassw0rd" would end in "Cannot read MyPassw0rd": the password, echoed to the
 * console and to logs. When the "file" does not exist but the "password" does, the two were
 * swapped: say so, and quote neither.
 */
function refuseSwappedArguments(command: Command): void {
  // "-b backup.zip <password>": the zip names the destination, so it may not exist yet. A
  // destination that is not a .zip is refused here, before any message could quote it.
  if (command.name === 'backup' && !/\.zip$/i.test(command.outPath)) {
    if (/\.zip$/i.test(command.password)) throw usageError('ARGUMENTS_SWAPPED', 'The password comes first, then the file: certificatemanager -b <password> <backup.zip>.');
    throw usageError('OUTPUT_NOT_ZIP', 'The backup destination (the last argument) must be a .zip file, for example C:\\backup\\a.zip. The password comes first.');
  }
  if (command.name !== 'restore' && command.name !== 'verify-backup') return;
  // A file that does not exist and does not even look like a backup may be the password.
  if (command.password !== '-' && !existsSync(command.path) && !/\.(zip|pfx|p12)$/i.test(command.path))
    throw usageError('BACKUP_NOT_FOUND', 'The backup file was not found (its name is not shown: it may be the password in the wrong place). The password comes first, then the .zip, .pfx or .p12 file.');
  if (command.password === '-' || existsSync(command.path) || !existsSync(command.password)) return;
  const usage = command.name === 'restore' ? (command.exportable ? '-r' : '-re') : 'verify-backup';
  throw usageError('ARGUMENTS_SWAPPED', `The password comes first, then the file: certificatemanager ${usage} <password> <backup>.`);
}

async function resolvePasswords(command: Command, stdin: Readable, stderr: Writable): Promise<Command> {
  const newFor = command.name === 'generate' ? 'generate' : command.name === 'renew' ? 'renew' : undefined;
  if ('password' in command && command.password === '-') return { ...command, password: await readPasswordFromStdin(stdin, stderr, newFor) };
  return command;
}

/** The progress lines ("Checking...") a command writes on stderr, one per step. */
export const STEP_WORDS: Record<ProgressEvent['step'], string> = {
  checking: 'Checking',
  'generating-key': 'Generating the key',
  'signing-certificate': 'Signing the certificate',
  'protecting-key': 'Protecting the key with the password',
  'reading-backup': 'Reading the backup',
  'checking-password': 'Checking the password',
  writing: 'Writing',
  'publishing-rotation': 'Publishing the rotation for agents',
  done: 'Done',
};

/**
 * What only a caller in the same process can choose, never a command line or an environment
 * variable: the tests' own entry (test/helpers/cli-test-strength.mjs) lowers the key stretching
 * of new backups so that most real-process tests do not spend their time in PBKDF2, and the
 * tests that call this function in their own process hand out their keys.
 */
interface CliOverrides {
  /** PBKDF2 iterations for new backups (OperationContext.iterations); default 600,000. */
  iterations?: number;
  /** Where new keys come from (OperationContext.newPrivateKey); default: Node's crypto. */
  newPrivateKey?: OperationContext['newPrivateKey'];
}

export async function runCli(argv: string[], io: CliIo, overrides: CliOverrides = {}): Promise<number> {
  let json = false;
  let passwords: string[] = [];
  const out = (text: string) => io.stdout.write(text.endsWith('\n') ? text : text + '\n');
  try {
    const invocation = parseArguments(argv);
    json = invocation.json;
    if ('password' in invocation.command) passwords = [invocation.command.password];
    refuseSwappedArguments(invocation.command);
    const command = await resolvePasswords(invocation.command, io.stdin, io.stderr);
    if ('password' in command) passwords = [command.password];
    const dataDir = resolveDataDir(invocation.dataDir, { platform: process.platform, env: io.env, isRoot: typeof process.getuid === 'function' && process.getuid() === 0 });
    // Progress is plain lines on stderr ("Checking..."), never carriage-return animation, and it
    // is written whether or not stderr is a TTY: through the Windows console launcher the app
    // may not see one even at a console (docs/console-entry-point.md), and in a scheduled
    // task's log the lines say how far a command got. stdout stays clean for scripts; --json
    // writes no progress at all. A refusal is still one line, after the steps that ran.
    const context: RunEnv['context'] = {
      dataDir,
      ...overrides, // each is optional, and an operation treats an absent one as its default
      onProgress: json ? undefined : (e) => e.step !== 'done' && io.stderr.write(`${STEP_WORDS[e.step]}...\n`),
    };
    const print = (value: unknown, text: string) => out(json ? JSON.stringify(value, null, 2) : text);

    if (command.name === 'help') return out((await import('./help.js')).HELP), 0;
    if (command.name === 'version') return out(packageVersion()), 0;
    // Every other command comes with the entry that parsed it, which runs it.
    if (!invocation.spec) throw new Error(`no entry runs ${command.name}`);
    return await invocation.spec.run(command, { context, json, io, out, print });
  } catch (error) {
    const e: CertManagerError = withoutPasswords(toCertManagerError(fileSystemError(error) ?? error), passwords);
    io.stderr.write(`certificatemanager: ${e.message.split('\n')[0]}\n`);
    if (json) io.stdout.write(JSON.stringify({ error: { kind: e.kind, code: e.code, message: e.message } }) + '\n');
    if (e.kind === 'internal' && io.env['CERTIFICATEMANAGER_DEBUG']) io.stderr.write(String((e.cause as Error)?.stack ?? e.stack) + '\n');
    return EXIT_CODES[e.kind];
  }
}
