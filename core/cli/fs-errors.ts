/**
 * What the operating system and OpenSSL can throw at the CLI, as one line an admin can act on
 * and the exit code --help documents. Everything here happens before or instead of a commit
 * (the store is old-or-new), so every line can say "nothing was changed" where that is true.
 *
 *   1  the machine's problem: read-only media, access denied, disk full, an I/O error, busy
 *   4  a path that is not what the command needs (missing, a file for a folder, a folder for a
 *      file, too long, a link loop), or a certificate/key inside a file that does not decode
 */
import { basename } from 'node:path';
import { CertManagerError, type ErrorKind } from '../errors.js';

interface SystemError {
  code?: unknown;
  path?: unknown;
  dest?: unknown;
  syscall?: unknown;
  message?: unknown;
}

const RULES: Readonly<Record<string, { kind: ErrorKind; code: string; say: (where: string) => string }>> = {
  EROFS: { kind: 'internal', code: 'READ_ONLY', say: (w) => `${w} is on read-only media. Choose a folder on a writable disk; nothing was changed.` },
  EACCES: { kind: 'internal', code: 'ACCESS_DENIED', say: (w) => `Access denied to ${w}. Run as an administrator, or choose another folder; nothing was changed.` },
  EPERM: { kind: 'internal', code: 'ACCESS_DENIED', say: (w) => `Access denied to ${w}. Run as an administrator, or choose another folder; nothing was changed.` },
  ENOSPC: { kind: 'internal', code: 'DISK_FULL', say: (w) => `The disk that holds ${w} is full. Free some space and run the command again; nothing was changed.` },
  EDQUOT: { kind: 'internal', code: 'DISK_FULL', say: (w) => `The disk quota for ${w} is used up. Free some space and run the command again; nothing was changed.` },
  EIO: { kind: 'internal', code: 'IO_ERROR', say: (w) => `The disk could not read or write ${w} (I/O error). Check the disk, then run the command again.` },
  EBUSY: { kind: 'internal', code: 'FILE_BUSY', say: (w) => `${w} is in use by another program. Close it (or wait for a virus scan to finish) and run the command again.` },
  EMFILE: { kind: 'internal', code: 'TOO_MANY_FILES', say: () => 'Too many files are open on this computer. Close some programs and run the command again.' },
  EEXIST: { kind: 'internal', code: 'ALREADY_EXISTS', say: (w) => `${w} was created by another program while this command ran. Run the command again; nothing was changed.` },
  ENOENT: { kind: 'bad-input', code: 'PATH_NOT_FOUND', say: (w) => `${w} does not exist. Check the path, or create the folder first.` },
  ENOTDIR: { kind: 'bad-input', code: 'NOT_A_FOLDER', say: (w) => `A part of ${w} is a file, not a folder. Check the path (and --data-dir).` },
  EISDIR: { kind: 'bad-input', code: 'IS_A_FOLDER', say: (w) => `${w} is a folder. Give a file name.` },
  ENAMETOOLONG: { kind: 'bad-input', code: 'PATH_TOO_LONG', say: (w) => `The path ${w} is too long. Choose a shorter one.` },
  ELOOP: { kind: 'bad-input', code: 'LINK_LOOP', say: (w) => `${w} is a link that points back to itself. Check the path.` },
};

/** The path the error is about, as given to the system call (never the error's own text). */
function where(error: SystemError): string {
  const path = typeof error.dest === 'string' && error.syscall === 'rename' ? error.dest : error.path;
  if (typeof path !== 'string' || path === '') return 'the file';
  // A temporary sibling (".name.pid.random.tmp") is our own; name the file the admin asked for.
  const temp = /^\.(.+)\.\d+\.[0-9a-f]{8}\.tmp$/.exec(basename(path));
  return temp ? path.slice(0, path.length - basename(path).length) + temp[1] : path;
}

const isOpenSslDecodeError = (error: SystemError) =>
  (typeof error.code === 'string' && error.code.startsWith('ERR_OSSL')) ||
  (typeof error.message === 'string' && /\b(asn1|decode error|wrong tag|header too long|PEM routines)\b/i.test(error.message));

/** The CertManagerError for a file-system or decoding error, or null for anything else. */
export function fileSystemError(error: unknown): CertManagerError | null {
  if (error instanceof CertManagerError || !error || typeof error !== 'object') return null;
  const e = error as SystemError;
  const rule = typeof e.code === 'string' ? RULES[e.code] : undefined;
  if (rule) return new CertManagerError(rule.kind, rule.code, rule.say(where(e)), {}, { cause: error });
  if (isOpenSslDecodeError(e))
    return new CertManagerError('bad-input', 'UNREADABLE_CERTIFICATE', 'A certificate or key in the file is damaged and cannot be decoded. Export the file again from its source, with its whole chain.', {}, { cause: error });
  return null;
}
