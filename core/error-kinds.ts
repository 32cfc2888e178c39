/**
 * The kinds of error, written once (core/errors.ts maps each to a CLI exit code; the IPC
 * boundary and the renderer accept only these). No imports and nothing of Node: the renderer
 * bundles it.
 */
export const ERROR_KINDS = [
  'usage', // the command line or request is malformed
  'wrong-password', // the password does not open the file
  'bad-input', // input file unreadable, damaged, hostile or unusable
  'wrong-state', // no certificate yet, one exists, key not exportable, store locked
  'internal', // anything else (disk full, permissions, bugs)
] as const;
export type ErrorKind = (typeof ERROR_KINDS)[number];
