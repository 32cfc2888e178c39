/**
 * TEST-ONLY. Bundled by test/bridge/bridge.ts and served as /__bridge-client.js, never part of a
 * build. window.certificateManager is made by the preload's own buildApi
 * (electron/preload/api-shape.ts), over HTTP instead of Electron IPC: the same operation and
 * event names, the same error shapes, the same checks, so what the tests drive in Chromium is
 * the object the app's renderer gets.
 */
import { buildApi, eventChannel, operationChannel, type ContractNames, type Transport } from '../../electron/preload/api-shape.js';

/** The contract's names, compiled in by test/bridge/bridge.ts as the preload build does. */
declare const __CONTRACT_NAMES__: ContractNames;

// The browser globals this script uses, declared here: the project's Node type-check has no DOM
// library, and adding it to the whole program would change Node's own types.
declare const document: { currentScript: { getAttribute(name: string): string | null } | null };
declare const window: object;
declare class EventSource {
  constructor(url: string);
  addEventListener(type: string, listener: (message: { data: string }) => void): void;
}

const token = document.currentScript?.getAttribute('data-bridge-token');
if (!token) throw new Error('bridge client: no token (load the page through the URL the bridge printed)');

const keyOf = (channel: string, prefix: string) => channel.slice(prefix.length);
const OPERATION_PREFIX = operationChannel('');
const EVENT_PREFIX = eventChannel('');

const source = new EventSource(`/events?token=${encodeURIComponent(token)}`);
const listeners = new Map<string, Set<(payload: unknown) => void>>();

const http: Transport = {
  async invoke(channel, request) {
    const response = await fetch(`/api/${encodeURIComponent(keyOf(channel, OPERATION_PREFIX))}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
      body: JSON.stringify(request),
      cache: 'no-store',
    } as RequestInit);
    // Anything but a Result (an HTTP error page, say) is buildApi's "unexpected answer".
    return response.json().catch(() => null);
  },
  subscribe(channel, listener) {
    const event = keyOf(channel, EVENT_PREFIX);
    let set = listeners.get(event);
    if (!set) {
      const subscribers = new Set<(payload: unknown) => void>();
      set = subscribers;
      listeners.set(event, subscribers);
      source.addEventListener(event, (message) => {
        let payload: unknown;
        try {
          payload = JSON.parse(message.data);
        } catch {
          return;
        }
        for (const each of subscribers) {
          try {
            each(payload);
          } catch (e) {
            setTimeout(() => {
              throw e;
            });
          }
        }
      });
    }
    const subscribers = set;
    subscribers.add(listener);
    return () => void subscribers.delete(listener);
  },
};

Object.defineProperty(window, 'certificateManager', { value: buildApi(http, __CONTRACT_NAMES__), enumerable: true, configurable: false, writable: false });
