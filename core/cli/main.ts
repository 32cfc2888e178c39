/**
 * The `certificatemanager` command line: parse, run one core operation, print, exit code.
 * Errors are one line on stderr that say what to do; no stack traces. Passwords are never
 * printed, and "-" reads one from standard input.
 *
 * Admins run one process per command, so start-up is most of what `status` or `--version`
 * costs. Only parsing, errors and paths are imported up front; each command imports its own
 * operation when it runs (the zip writer only for -b/-g/-c, Fastify and the agent only for
 * serve/agent/-l). Keep new imports here type-only or inside the command that needs them.
 */
import type { Readable, Writable } from 'node:stream';
import { existsSync } from 'node:fs';
import { CertManagerError, EXIT_CODES, toCertManagerError, usageError } from '../errors.js';
import { resolveDataDir } from '../store/paths.js';
import type { OperationContext } from '../ops/context.js';
import type { ProgressEvent } from '../schemas.js';
import { parseArguments, type Command } from './parse.js';
import { packageVersion, type CliIo } from './io.js';

export { packageVersion, type CliIo } from './io.js';
// Small and needed on every error path: what the OS threw, and no password in any message.
import { fileSystemError } from './fs-errors.js';
import { withoutPasswords } from './redact.js';
import type { NEW_PASSWORD_PURPOSE } from './console-password.js';

/** A key size from the command line, checked by the key module (loaded only for -g and -c). */
async function keySizeOf(bits: number | undefined) {
  if (!bits) return undefined;
  const { assertKeySize } = await import('../pki/keys.js');
  return assertKeySize(bits);
}

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

export async function runCli(argv: string[], io: CliIo): Promise<number> {
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
    const context: OperationContext = {
      dataDir,
      onProgress: json ? undefined : (e) => e.step !== 'done' && io.stderr.write(`${STEP_WORDS[e.step]}...\n`),
    };
    const print = (value: unknown, text: string) => out(json ? JSON.stringify(value, null, 2) : text);

    switch (command.name) {
      case 'help':
        out((await import('./help.js')).HELP);
        return 0;
      case 'version':
        out(packageVersion());
        return 0;
      case 'generate': {
        const { generateCertificate } = await import('../ops/generate.js');
        const r = await generateCertificate(context, { password: command.password, keySize: await keySizeOf(command.keySize), validityDays: command.validityDays, commonName: command.commonName });
        print(r, `Generated a new server authentication certificate.\n  Fingerprint (SHA-256): ${r.status.current!.fingerprintSha256}\n  Valid until: ${r.status.current!.notAfter}\n  Backup (protected by the password): ${r.backupPath}`);
        return 0;
      }
      case 'backup': {
        const { backupCertificate } = await import('../ops/backup.js');
        const r = await backupCertificate(context, { password: command.password, outPath: command.outPath });
        print(r, `Backed up the certificate ${r.fingerprintSha256} to ${r.path}`);
        return 0;
      }
      case 'restore': {
        const { restoreCertificate } = await import('../ops/restore.js');
        const status = await restoreCertificate(context, { path: command.path, password: command.password, exportable: command.exportable });
        print(status, `Restored the certificate ${status.current!.fingerprintSha256}${command.exportable ? '' : ' (key not exportable)'}.`);
        return 0;
      }
      case 'renew': {
        const { renewCertificate } = await import('../ops/renew.js');
        const r = await renewCertificate(context, { password: command.password, keySize: await keySizeOf(command.keySize), validityDays: command.validityDays });
        print(r, `Renewed the certificate. Agents will move to it automatically.\n  New fingerprint (SHA-256): ${r.status.current!.fingerprintSha256}\n  Valid until: ${r.status.current!.notAfter}\n  Backup (protected by the new password): ${r.backupPath}`);
        return 0;
      }
      case 'export': {
        const { exportAgentCertificate } = await import('../ops/export.js');
        const r = await exportAgentCertificate(context, command.outPath);
        print({ path: r.path }, `Exported the agent certificate to ${r.path}`);
        return 0;
      }
      case 'export-pfx': {
        // Loaded on demand, like the other commands' code (the CLI starts with what it runs).
        const { exportPfx } = await import('../ops/export-pfx.js');
        const r = await exportPfx(context, { password: command.password, outPath: command.outPath, compat: command.compat });
        if (r.compat === 'legacy')
          io.stderr.write('certificatemanager: warning: the legacy .pfx (3DES, SHA-1) is weaker; use it only for servers that cannot import the default, and delete it after the import.\n');
        print(r, `Exported the certificate ${r.fingerprintSha256} with its key${r.chainLength ? ` and ${r.chainLength} CA certificate(s)` : ''} to ${r.path}${r.compat === 'legacy' ? ' (legacy 3DES/SHA-1 profile)' : ''}`);
        return 0;
      }
      case 'status': {
        const { getStatus } = await import('../ops/status.js');
        const status = await getStatus(dataDir);
        if (json) return print(status, ''), 0;
        if (!status.current) {
          out(`No certificate yet in ${dataDir}. Generate one with -g <password> or restore a backup with -r.`);
          return 0;
        }
        const c = status.current;
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
      }
      case 'audit': {
        const { readAuditTrail, settleAuditLog } = await import('../audit/log.js');
        const { STORE_MARKER } = await import('../store/store.js');
        // Only in our own folder: a mistyped --data-dir gets no lock folder from us.
        if (existsSync(`${dataDir}/${STORE_MARKER}`)) await settleAuditLog(dataDir);
        let trail = await readAuditTrail(dataDir);
        let against: string | null = null;
        if (command.headPath) {
          const { readHeadFile, readSignedHead, checkAgainstHead, HeadNotUsable } = await import('../audit/signed-head.js');
          try {
            const head = await readSignedHead(dataDir, await readHeadFile(command.headPath));
            trail = checkAgainstHead(trail, head);
            // A head signed before the log had an entry (or by a version without the commitment) checks nothing: say so.
            against = head.committed
              ? ` and against the feed head signed at ${head.signedAt} (entry ${head.committed.seq})`
              : ` (the feed head signed at ${head.signedAt} names no audit entry, so it checks nothing: take a newer one)`;
          } catch (error) {
            if (!(error instanceof HeadNotUsable) && (error as NodeJS.ErrnoException).code === undefined) throw error;
            io.stderr.write(`certificatemanager: ${command.headPath} cannot be used: ${(error as Error).message}. Take index.jws from the feed folder or a mirror of this server.\n`);
            return EXIT_CODES['bad-input'];
          }
        }
        if (json) print({ entries: trail.entries, verified: trail.broken === null, broken: trail.broken }, '');
        else
          out(
            trail.entries.length === 0
              ? `No audit entries yet in ${dataDir}.`
              : trail.entries
                  .map((e) => {
                    const fp = e.fingerprintAfter ?? e.fingerprintBefore;
                    return `${e.seq}  ${e.time}  ${e.operation}  ${e.result}${e.code ? ` (${e.code})` : ''}  ${e.account}@${e.machine} via ${e.via}${fp ? `  ${fp.slice(0, 16)}…` : ''}`;
                  })
                  .join('\n'),
          );
        if (command.verify && trail.broken) {
          // Exit 4 like any input that does not verify; the entries that did were printed above.
          const where = trail.broken.line === null ? '' : ` at entry ${trail.broken.line}`;
          io.stderr.write(`certificatemanager: The audit log does not verify${where}: ${trail.broken.reason}. Keep the file as evidence and compare it with the Windows Event Log.\n`);
          return EXIT_CODES['bad-input'];
        }
        if (command.verify && !json) out(`Verified ${trail.entries.length} entr${trail.entries.length === 1 ? 'y' : 'ies'}${against ?? ''}: nothing was changed, removed or reordered.`);
        return 0;
      }
      case 'verify-backup': {
        const { verifyBackup } = await import('../ops/verify-backup.js');
        const r = await verifyBackup(context, { path: command.path, password: command.password });
        print(r, `The backup is good: ${r.format}, ${r.certificate.subject}, fingerprint ${r.certificate.fingerprintSha256}, valid until ${r.certificate.notAfter}.`);
        return 0;
      }
      case 'list-clients':
      case 'serve':
      case 'agent':
        return await (await import('./fleet-commands.js')).runFleetCommand(command, { dataDir, json, io, out });
    }
  } catch (error) {
    const e: CertManagerError = withoutPasswords(toCertManagerError(fileSystemError(error) ?? error), passwords);
    io.stderr.write(`certificatemanager: ${e.message.split('\n')[0]}\n`);
    if (json) io.stdout.write(JSON.stringify({ error: { kind: e.kind, code: e.code, message: e.message } }) + '\n');
    if (e.kind === 'internal' && io.env['CERTIFICATEMANAGER_DEBUG']) io.stderr.write(String((e.cause as Error)?.stack ?? e.stack) + '\n');
    return EXIT_CODES[e.kind];
  }
}
