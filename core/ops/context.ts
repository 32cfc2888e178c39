/** What every operation is given: where the store is, and how to report progress. */
import type { KeyObject } from 'node:crypto';
import type { OperationName, ProgressListener, ProgressStep } from '../schemas.js';
import { usageError } from '../errors.js';
import { NEW_PASSWORD_LENGTH } from '../limits.js';
import { assertKeySize, generateRsaKeyPair, type KeySize } from '../pki/keys.js';

export interface OperationContext {
  dataDir: string;
  onProgress?: ProgressListener;
  /** The clock, injectable for expiry tests. */
  now?: () => Date;
  /** PBKDF2 iterations for new backups (default 600,000; OWASP). Lower only in tests. */
  iterations?: number;
  /** Who asked, for the audit trail: the app or the command line (default). */
  via?: 'app' | 'cli';
  /**
   * Where a new certificate's private key comes from. The app and the command never set it: they
   * get a fresh key from Node's crypto (generateRsaKeyPair). Tests hand out keys made faster
   * (test/helpers/test-keys.ts), because the search for primes was a tenth of the suite's CPU.
   */
  newPrivateKey?: (bits: KeySize) => Promise<KeyObject>;
}

/** The new key of a -g or -c: `bits` is checked here, whichever source makes it. */
export async function newPrivateKeyFor(context: OperationContext, bits: KeySize): Promise<KeyObject> {
  assertKeySize(bits);
  return context.newPrivateKey ? context.newPrivateKey(bits) : (await generateRsaKeyPair(bits)).privateKey;
}

type Reporter = (step: ProgressStep, fraction: number) => void;

export function reporter(context: OperationContext, operation: OperationName): Reporter {
  let last = 0;
  return (step, fraction) => {
    last = Math.max(last, Math.min(1, fraction));
    context.onProgress?.({ operation, step, fraction: last });
  };
}

export const nowOf = (context: OperationContext) => (context.now ? context.now() : new Date());

export const MIN_NEW_PASSWORD_LENGTH = NEW_PASSWORD_LENGTH.min;

/** A password that will protect a new backup: long enough to be worth stretching. */
export const MAX_NEW_PASSWORD_LENGTH = NEW_PASSWORD_LENGTH.max;

/**
 * Lengths are counted in characters as a person counts them (code points): "パスワード" is 5,
 * and an emoji is 1, not the 2 UTF-16 units JavaScript's .length would say.
 */
const passwordLength = (password: string) => Array.from(password).length;

export function assertNewPassword(password: string): void {
  if (passwordLength(password) < MIN_NEW_PASSWORD_LENGTH)
    throw usageError('PASSWORD_TOO_SHORT', `The backup password must be at least ${MIN_NEW_PASSWORD_LENGTH} characters long. Choose a longer password.`, { min: MIN_NEW_PASSWORD_LENGTH });
  if (passwordLength(password) > MAX_NEW_PASSWORD_LENGTH)
    throw usageError('PASSWORD_TOO_LONG', `The backup password is longer than ${MAX_NEW_PASSWORD_LENGTH} characters. Choose a shorter password.`, { max: MAX_NEW_PASSWORD_LENGTH });
}
