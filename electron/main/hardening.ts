/**
 * Session- and webContents-level locks (Electron security checklist items 5, 12, 13, 14, 15),
 * applied to every webContents the app ever creates (`web-contents-created`), not only to the
 * window we know about.
 */
import { shell, type Session, type WebContents } from 'electron';
import { BLOCKED_REQUEST_PATTERNS, isAllowedExternalUrl, isAllowedNavigation, isAllowedPermission } from './navigation.js';
import { describeOrigin } from './ipc-registration.js';
import type { Logger } from '../../core/api/dispatch.js';

/** Deny every permission (but clipboard writes by the app), device, download and network request. */
export function hardenSession(ses: Session, log: Logger): void {
  ses.setPermissionRequestHandler((contents, permission, callback, details) => {
    // Defensive: a handler must never throw, whatever Electron (or a future version) passes.
    const allowed = isAllowedPermission(permission, details?.requestingUrl ?? (typeof contents?.getURL === 'function' ? contents.getURL() : undefined));
    if (!allowed) log(`[security] denied a permission request: ${permission}`);
    callback(allowed);
  });
  ses.setPermissionCheckHandler((_contents, permission, requestingOrigin) => isAllowedPermission(permission, requestingOrigin));
  ses.setDevicePermissionHandler(() => false);
  ses.setSpellCheckerEnabled(false); // no dictionary downloads
  ses.on('will-download', (event) => {
    log('[security] blocked a download');
    event.preventDefault();
  });
  ses.webRequest.onBeforeRequest({ urls: BLOCKED_REQUEST_PATTERNS }, (details, callback) => {
    log(`[security] blocked a ${details.resourceType} request to ${describeOrigin(details.url)}`);
    callback({ cancel: true });
  });
}

/** No navigation away from app://certificatemanager, no new windows, no <webview>. */
export function hardenWebContents(contents: WebContents, log: Logger): void {
  contents.on('will-navigate', (event) => {
    if (!isAllowedNavigation(event.url)) {
      log(`[security] blocked navigation to ${describeOrigin(event.url)}`);
      event.preventDefault();
    }
  });
  contents.on('will-frame-navigate', (event) => {
    if (!isAllowedNavigation(event.url)) {
      log(`[security] blocked frame navigation to ${describeOrigin(event.url)}`);
      event.preventDefault();
    }
  });
  contents.on('will-redirect', (event) => {
    if (!isAllowedNavigation(event.url)) {
      log(`[security] blocked a redirect to ${describeOrigin(event.url)}`);
      event.preventDefault();
    }
  });
  contents.setWindowOpenHandler(({ url }) => {
    if (isAllowedExternalUrl(url)) {
      setImmediate(() => void shell.openExternal(url));
    } else {
      log(`[security] blocked a new window for ${describeOrigin(url)}`);
    }
    return { action: 'deny' };
  });
  contents.on('will-attach-webview', (event) => {
    log('[security] blocked a <webview>');
    event.preventDefault();
  });
}
