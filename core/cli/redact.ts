/**
 * No error line may show a password or any part of it. Messages name paths, and a path can be
 * a password given in the wrong place ("-b backup.zip My Passw0rd" makes "My Passw0rd" the
 * destination, and its "folder" is a piece of the password). Rather than trusting every
 * message to be written with that in mind, the CLI checks each one on its way out.
 */
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { CertManagerError } from '../errors.js';

/**
 * The paths a password given in a file's place turns into (its resolved form and each folder
 * above it), down to the first that the working folder or the root already explains.
 */
function pathsMadeOf(password: string, cwd: string): string[] {
  const out: string[] = [];
  const here = resolve(cwd);
  const holdsHere = (p: string) => {
    const rel = relative(p, here);
    return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  };
  for (let p = resolve(cwd, password); p !== dirname(p) && !holdsHere(p); p = dirname(p)) out.push(p);
  return out;
}

/**
 * Whether `text` shows `password` or a path made of it (a folder above it is a piece of it).
 * Messages quote paths, never pieces of arguments otherwise, so this is what can leak; a
 * check for every short run of the password would hide ordinary messages whenever the
 * password contains an everyday word such as "password" or "store".
 */
function revealsPassword(text: string, password: string, cwd = process.cwd()): boolean {
  if (password === '') return false;
  return text.includes(password) || pathsMadeOf(password, cwd).some((p) => text.includes(p));
}

/** The error as it may be shown: its own message, or one that names no path and no password. */
export function withoutPasswords(error: CertManagerError, passwords: readonly string[]): CertManagerError {
  // "-" is not a password: it says the password comes from standard input.
  if (!passwords.some((p) => p !== '-' && revealsPassword(error.message, p))) return error;
  return new CertManagerError(
    error.kind,
    error.code,
    `The command failed (${error.code}); its message is not shown because it would show part of the password. Check the order of the arguments: the password comes first, then the file (see certificatemanager --help).`,
    {},
    { cause: error },
  );
}
