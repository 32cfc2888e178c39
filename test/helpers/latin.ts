/**
 * The "no English on a Japanese screen" rule (#12), shared by the dictionary check and the
 * Chromium walk: Latin-script words that are not a product or standard name, a code, a path,
 * a file name, a host name, a fingerprint or a number.
 */

/** Latin words an admin may see on a Japanese screen: product and standard names. */
export const ALLOWED_LATIN = new Set([
  'CertificateManager',
  'Windows',
  'Server',
  'English',
  'CA',
  'certlm',
  'Hotfix',
  'PKCS',
  'SHA',
  'RSA',
  'ID',
  'CSV',
  'UTC',
  'Caps',
  'Lock',
  'zip',
  'pfx',
  'p12',
  'cer',
  'v',
]);

/** Data inside prose: paths, file names (and bare extensions), host names, codes, fingerprints, keys (Ctrl+C, I/O), command placeholders (<dir>). */
const DATA =
  /[A-Za-z]:\\[^\s]*|\/[^\s]*|[\w.-]+\.(?:zip|pfx|p12|cer|csv|json)\b|\.(?:zip|pfx|p12|cer|csv|json)\b|\b[\w-]+(?:\.[\w-]+)+\b|\b[A-Z0-9_]{3,}\b|\b[0-9a-f]{8,}\b|\bpc-\d+\b|\b(?:Ctrl|Alt|Shift)\+\w+\b|\bI\/O\b|<\w+>/g;

/** The Latin words of `text` that break the rule. */
export function latinWordsIn(text: string): string[] {
  return (text.replace(DATA, ' ').match(/[A-Za-z]+/g) ?? []).filter((word) => !ALLOWED_LATIN.has(word));
}
