/**
 * One error type for the whole core. Every failure an admin can cause or meet is a
 * CertManagerError with a kind (which decides the CLI exit code and how the UI shows it), a
 * stable code (which the UI translates) and an English one-line message that says what to do
 * next. Anything else that escapes is a bug and maps to kind "internal".
 */
import { ERROR_KINDS, type ErrorKind } from './error-kinds.js';

export { ERROR_KINDS, type ErrorKind };

export const EXIT_CODES: Readonly<Record<ErrorKind, number>> = {
  usage: 2,
  'wrong-password': 3,
  'bad-input': 4,
  'wrong-state': 5,
  internal: 1,
};

export class CertManagerError extends Error {
  override readonly name = 'CertManagerError';
  constructor(
    readonly kind: ErrorKind,
    /** Stable identifier, e.g. "WRONG_PASSWORD"; the UI's translation key. */
    readonly code: string,
    message: string,
    /** Values the UI may put into its translated message (never secrets). */
    readonly details: Readonly<Record<string, string | number>> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export const usageError = (code: string, message: string, details?: Record<string, string | number>) =>
  new CertManagerError('usage', code, message, details);
export const wrongPassword = (message = 'The password is wrong. Type the backup password that was set when this file was created.') =>
  new CertManagerError('wrong-password', 'WRONG_PASSWORD', message);
export const badInput = (code: string, message: string, details?: Record<string, string | number>, cause?: unknown) =>
  new CertManagerError('bad-input', code, message, details, { cause });
export const wrongState = (code: string, message: string, details?: Record<string, string | number>) =>
  new CertManagerError('wrong-state', code, message, details);

/** Turns anything thrown into a CertManagerError, keeping real ones as they are. */
export function toCertManagerError(error: unknown): CertManagerError {
  if (error instanceof CertManagerError) return error;
  const e = error as NodeJS.ErrnoException | undefined;
  if (e && typeof e === 'object' && typeof e.code === 'string') {
    if (e.code === 'ENOSPC') return new CertManagerError('internal', 'DISK_FULL', 'The disk is full. Free some space and run the command again; nothing was changed.', {}, { cause: e });
    if (e.code === 'EACCES' || e.code === 'EPERM')
      return new CertManagerError('internal', 'ACCESS_DENIED', `Access denied${e.path ? ` to ${e.path}` : ''}. Run as an administrator; nothing was changed.`, {}, { cause: e });
  }
  const message = e && typeof e === 'object' && 'message' in e ? String(e.message).split('\n')[0] : String(error);
  return new CertManagerError('internal', 'INTERNAL', `Unexpected error: ${message}`, {}, { cause: error });
}
