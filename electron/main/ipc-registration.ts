/**
 * The one place that puts the IPC contract on `ipcMain`.
 *
 * Every operation of core/api/contract.ts gets one `ipcMain.handle(channelOf(key))`. Every call
 * is checked in this order (the idea of VS Code's validated ipcMain, applied to a typed contract):
 *   1. the sender: a frame exists, it is the main frame of the app's window, and its URL is on
 *      the app's own origin (app://certificatemanager); anything else is refused and logged
 *      without its arguments (passwords travel in them);
 *   2. the argument, by the contract's strict request schema (dispatch.ts);
 *   3. the handler runs; its response is checked against the response schema in development;
 *   4. the answer is a `Result<T>`: errors cross as data, never as thrown Error objects.
 *
 * This file imports no Electron value (types only), so the tests drive it with a stand-in ipcMain.
 */
import { EVENT_KEYS, OPERATION_KEYS, channelOf, eventChannelOf, events, type ApiHandlers, type EventKey, type EventOf, type Result } from '../../core/api/contract.js';
import { dispatch, type Logger } from '../../core/api/dispatch.js';
import { APP_HOST, APP_SCHEME } from './app-protocol.js';

/** The part of a WebFrameMain the sender check reads. */
export interface FrameLike {
  readonly url: string;
  readonly parent?: FrameLike | null;
  /** Together, Chromium's unique id of a frame's document host (WebFrameMain has both). */
  readonly processId?: number;
  readonly routingId?: number;
}

/**
 * The same frame? Electron hands out one WebFrameMain object per frame, so identity is the test;
 * (processId, routingId) is accepted too, in case a frame is ever wrapped twice.
 */
function sameFrame(a: FrameLike, b: FrameLike): boolean {
  if (a === b) return true;
  return a.processId !== undefined && a.routingId !== undefined && a.processId === b.processId && a.routingId === b.routingId;
}

/** The part of an IpcMainInvokeEvent the registration reads. */
export interface InvokeEventLike {
  readonly senderFrame: FrameLike | null;
}

/** The part of Electron's ipcMain the registration uses (Electron's own ipcMain satisfies it). */
export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

interface RegisterContractOptions {
  isTrustedSender: (event: InvokeEventLike) => boolean;
  /** See DispatchOptions.validateResponses: `!app.isPackaged` in the app. */
  validateResponses?: boolean;
  log?: Logger;
}

/** The origin a frame URL belongs to, for logs only (custom schemes have an opaque WHATWG origin). */
export function describeOrigin(url: string | undefined): string {
  if (!url) return '(no url)';
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return '(malformed url)';
  }
}

/** True when `url` is a page of the app's own protocol: app://certificatemanager/… */
export function isAppUrl(url: string | undefined): boolean {
  if (!url) return false;
  try {
    const u = new URL(url);
    // Compare scheme and host, not `origin`: Node's and Chromium's URL give non-special schemes an
    // opaque origin ("null"), which would match any other opaque origin.
    return u.protocol === `${APP_SCHEME}:` && u.host === APP_HOST && u.username === '' && u.password === '' && u.port === '';
  } catch {
    return false;
  }
}

/**
 * The sender check used by the app: the frame must be the very main frame of the app window's
 * webContents (not a subframe, not another window, not a frame of a previous document) and be
 * showing an app:// page. `getMainFrame` is read at every call: the window may have been
 * re-created, or be gone.
 */
export function createTrustedSenderCheck(getMainFrame: () => FrameLike | null | undefined, log: Logger = (m) => console.warn(m)) {
  return (event: InvokeEventLike): boolean => {
    const frame = event.senderFrame;
    if (!frame) {
      log('[ipc] refused a call: the sender frame is gone or unknown');
      return false;
    }
    const mainFrame = getMainFrame();
    if (!mainFrame || !sameFrame(frame, mainFrame)) {
      log(`[ipc] refused a call from ${describeOrigin(frame.url)}: not the main frame of the app window`);
      return false;
    }
    if (frame.parent) {
      log(`[ipc] refused a call from ${describeOrigin(frame.url)}: a subframe`);
      return false;
    }
    if (!isAppUrl(frame.url)) {
      log(`[ipc] refused a call from ${describeOrigin(frame.url)}: not the app's origin`);
      return false;
    }
    return true;
  };
}

const refused: Result<never> = {
  ok: false,
  error: { kind: 'usage', code: 'SENDER_REFUSED', message: 'This caller is not allowed to use CertificateManager.', details: {} },
};

/**
 * Registers every contract operation on `ipc`. Returns a function that removes them again.
 */
export function registerContract(ipc: IpcMainLike, handlers: ApiHandlers, options: RegisterContractOptions): () => void {
  const log = options.log ?? ((m: string) => console.warn(m));
  const validateResponses = options.validateResponses ?? true;
  for (const key of OPERATION_KEYS) {
    const channel = channelOf(key);
    ipc.handle(channel, async (event, ...args): Promise<Result<unknown>> => {
      let trusted = false;
      try {
        trusted = options.isTrustedSender(event);
      } catch {
        trusted = false;
      }
      if (!trusted) {
        // The channel and the sender's origin, never the arguments.
        log(`[ipc] refused ${channel} from ${describeOrigin(event?.senderFrame?.url)}`);
        return refused;
      }
      return dispatch(handlers, key, args, { validateResponses, log });
    });
  }
  return () => {
    for (const key of OPERATION_KEYS) ipc.removeHandler(channelOf(key));
  };
}

/** The part of a WebContents the event sender uses. */
interface WebContentsLike {
  send(channel: string, ...args: unknown[]): void;
  isDestroyed(): boolean;
}

type EventSender = <E extends EventKey>(event: E, payload: EventOf<E>) => boolean;

/**
 * Pushes contract events to the renderer on eventChannelOf(key), after checking the payload
 * against the contract's event schema (a bad payload is a bug: logged, not sent). Accepts the
 * webContents itself or a getter, for events emitted before the window exists or after it closed.
 * Returns whether the event was sent.
 */
export function createEventSender(target: WebContentsLike | (() => WebContentsLike | null | undefined), log: Logger = (m) => console.warn(m)): EventSender {
  const current = typeof target === 'function' ? target : () => target;
  return (event, payload) => {
    if (!(EVENT_KEYS as readonly string[]).includes(event)) {
      log(`[ipc] refused to send unknown event ${String(event)}`);
      return false;
    }
    const checked = events[event].safeParse(payload);
    if (!checked.success) {
      log(`[ipc] event ${event} does not match the contract; not sent`);
      return false;
    }
    const contents = current();
    if (!contents || contents.isDestroyed()) return false;
    contents.send(eventChannelOf(event), checked.data);
    return true;
  };
}
