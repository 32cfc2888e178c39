/**
 * The PKCS#12 module's error vocabulary. Every problem with a file becomes a bad-input
 * CertManagerError with a stable code; nothing from node-forge or node:crypto escapes raw.
 */
import { badInput, usageError } from '../../errors.js';

export const CODES = {
  malformed: 'PKCS12_MALFORMED',
  tooLarge: 'PKCS12_TOO_LARGE',
  unsupported: 'PKCS12_UNSUPPORTED',
  hostileIterations: 'PKCS12_HOSTILE_ITERATIONS',
  tooManyItems: 'PKCS12_TOO_MANY_ITEMS',
  noMac: 'PKCS12_NO_MAC',
  decryptFailed: 'PKCS12_DECRYPT_FAILED',
  noKey: 'PKCS12_NO_KEY',
  severalKeys: 'PKCS12_SEVERAL_KEYS',
  badKey: 'PKCS12_BAD_KEY',
  noCertificate: 'PKCS12_NO_CERTIFICATE',
  badCertificate: 'PKCS12_BAD_CERTIFICATE',
  keyMismatch: 'PKCS12_KEY_MISMATCH',
  emptyPassword: 'PKCS12_EMPTY_PASSWORD',
  badOption: 'PKCS12_BAD_OPTION',
  badArgument: 'PKCS12_BAD_ARGUMENT',
} as const;

/** The file is damaged or not PKCS#12 at all. `where` names the structure, for the logs. */
export const malformed = (where: string, cause?: unknown) =>
  badInput(
    CODES.malformed,
    'The file is damaged or is not a PKCS#12 (.p12/.pfx) file. Export the certificate and key again and retry with the new file.',
    { where },
    cause,
  );

export const unsupported = (what: string) =>
  badInput(
    CODES.unsupported,
    `The file uses ${what}, which is not supported. Export it again with AES-256 encryption (or "TripleDES-SHA1" on Windows) and retry.`,
    { what },
  );

interface HostileWork {
  /** Which part of the file asked, e.g. 'integrity check (MAC)', 'part 2', 'whole file'. */
  where: string;
  /** The scheme, e.g. 'HMAC-SHA1' or 'pbeWithSHA1And3-KeyTripleDES-CBC'. */
  label: string;
  /** The iteration count the file gives. */
  count: number;
  /** What it would cost in work units (see work.ts), against `max`. */
  work: number;
  max: number;
}

/** Says what was refused: which part, which scheme, how many iterations, and what that costs. */
export const hostileIterations = ({ where, label, count, work, max }: HostileWork) => {
  const scheme = label.replace(/\/\d+$/, '');
  const cost = work === count ? '' : ` (as much work as ${work} of the fastest kind)`;
  const asked =
    where === 'whole file'
      ? `The file's parts together ask for ${work} units of password-hashing work`
      : `The file's ${where} asks for ${count} ${scheme} password-hashing iterations${cost}`;
  return badInput(CODES.hostileIterations, `${asked}, more than the limit of ${max}; it may be hostile. Export it again with a normal iteration count.`, {
    where,
    scheme,
    count,
    work,
    max,
  });
};

export const tooManyItems = (what: string, max: number) =>
  badInput(CODES.tooManyItems, `The file holds more than ${max} ${what}; it may be hostile. Export only the server certificate, its chain and its key.`, {
    what,
    max,
  });

export const badOption = (name: string, message: string) => usageError(CODES.badOption, message, { option: name });

/** The MAC (password) was right but a part would not decrypt: a second password, or damage. */
export const decryptFailed = (where: string, cause?: unknown) =>
  badInput(
    CODES.decryptFailed,
    'The password is right but part of the file could not be decrypted; it may use a second password or be damaged. Export it again with a single password and retry.',
    { where },
    cause,
  );
