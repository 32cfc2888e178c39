/**
 * Navigation, new windows and external links (Electron security checklist items 13, 14, 15).
 * Pure predicates; hardening.ts wires them to Electron's events.
 */
import { isAppUrl } from './ipc-registration.js';

/**
 * Origins whose https links may be opened in the user's browser (through shell.openExternal),
 * compared exactly by parsed origin. Empty: the app opens no external link at all. Add an origin
 * only for documentation the app really links to.
 */
const EXTERNAL_LINK_ALLOW_LIST: readonly string[] = [];

/** True when `url` may be handed to shell.openExternal: https, no credentials, allow-listed origin. */
export function isAllowedExternalUrl(url: string, allowList: readonly string[] = EXTERNAL_LINK_ALLOW_LIST): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username !== '' || u.password !== '') return false;
  return allowList.includes(u.origin);
}

/** In-app navigation is allowed only between pages of the app's own protocol. */
export function isAllowedNavigation(url: string): boolean {
  return isAppUrl(url);
}

/**
 * Requests the app's session refuses outright, whoever makes them (the renderer's CSP already
 * says connect-src 'none'; this is the second lock): the network and the file system.
 */
export const BLOCKED_REQUEST_PATTERNS = ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'ftp://*/*', 'file://*/*'];

/**
 * The one web permission the app grants: writing plain text to the clipboard (sanitized, never
 * reading), and only to the app's own pages. The "Copy" button next to a fingerprint needs it;
 * everything else (camera, notifications, clipboard reads, ...) stays denied.
 */
export function isAllowedPermission(permission: string, requestingUrl: string | undefined): boolean {
  return permission === 'clipboard-sanitized-write' && requestingUrl !== undefined && isAppUrl(requestingUrl);
}
