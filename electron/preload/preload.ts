/**
 * The preload of the app's window (sandboxed, context-isolated). It exposes ONE object,
 * `window.certificateManager`, with one function per contract operation and `on(event, listener)`
 * for pushed events — never ipcRenderer itself, and listeners never see the IpcRendererEvent
 * (Electron security checklist item 20).
 *
 * Built to dist/electron/preload.cjs (CommonJS: sandboxed preloads cannot be ES modules) by
 * electron/build-preload.mjs. At run time it may require only `electron`.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { buildApi, type ContractNames } from './api-shape.js';

/** The contract's operation and event names, compiled in by electron/build-preload.mjs. */
declare const __CONTRACT_NAMES__: ContractNames;

const api = buildApi({
  invoke: (channel, request) => ipcRenderer.invoke(channel, request),
  subscribe: (channel, listener) => {
    const wrapped = (_event: Electron.IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => {
      ipcRenderer.removeListener(channel, wrapped);
    };
  },
}, __CONTRACT_NAMES__);

contextBridge.exposeInMainWorld('certificateManager', api);
