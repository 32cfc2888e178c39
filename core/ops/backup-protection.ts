/**
 * The keys that will protect a new backup, derived from its password before they are needed
 * (startPkcs12Protection: two PBKDF2 derivations on the threadpool, the MAC's KDF in slices on
 * this thread, ~0.4 s of work in all). Kept apart from backup-of-store.ts so that the CLI can start
 * them as soon as it has the password, before it has loaded the code that writes backups.
 */
import { startPkcs12Protection, type Pkcs12Protection } from '../pki/pkcs12/index.js';
import { assertNewPassword } from './context.js';

/**
 * Starts deriving a backup's keys. Generate and renew call this before making the RSA key, so
 * the key stretching runs while the key is generated instead of after it.
 */
export const startBackupProtection = (password: string, iterations?: number): Pkcs12Protection => startPkcs12Protection(password, iterations ? { iterations } : {});

/**
 * For the CLI, right after it has read the password: the same, or nothing if the operation
 * will refuse this password anyway. The operation then refuses it itself, with the message and
 * in the order it always has (its other checks come first). A protection started for an
 * operation that then fails is simply not used; the process ends once it is done (~0.3 s).
 */
export function startBackupProtectionEarly(password: string, iterations?: number): Pkcs12Protection | undefined {
  try {
    assertNewPassword(password);
    return startBackupProtection(password, iterations);
  } catch {
    return undefined;
  }
}
