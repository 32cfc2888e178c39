/**
 * What the preload exposes, built from two injected primitives (invoke and subscribe) and the
 * contract's names, so it can be tested without Electron. Imports from the contract are types
 * only: the sandboxed preload cannot load zod or the core. The names are not listed here: the
 * preload build reads them from the contract (electron/preload/contract-names.mjs), so a new
 * operation needs no edit in this folder.
 */
import type { CertificateManagerApi, ErrorPayload, EventKey, OperationKey, Result } from '../../core/api/contract.js';

/** The contract's operation and event names; the preload gets them compiled in at build time. */
export interface ContractNames {
  operations: readonly OperationKey[];
  events: readonly EventKey[];
}

/** Same strings as the contract's channelOf / eventChannelOf (the test compares them). */
export const operationChannel = (key: string) => `cm:op:${key}`;
export const eventChannel = (key: string) => `cm:event:${key}`;

/**
 * What a failed call rejects with. A plain object, not an Error: contextBridge copies only the
 * message of an Error across worlds, while a plain object keeps kind, code and details.
 */
interface RendererCertManagerError extends ErrorPayload {
  name: 'CertManagerError';
}

export interface Transport {
  invoke(channel: string, request: unknown): Promise<unknown>;
  /** Subscribes to a channel; the listener gets only the payload. Returns the unsubscribe. */
  subscribe(channel: string, listener: (payload: unknown) => void): () => void;
}

function isResult(value: unknown): value is Result<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as { ok?: unknown; error?: unknown };
  return v.ok === true || (v.ok === false && typeof v.error === 'object' && v.error !== null);
}

function toRendererError(error: Partial<ErrorPayload>): RendererCertManagerError {
  return {
    name: 'CertManagerError',
    kind: error.kind ?? 'internal',
    code: typeof error.code === 'string' ? error.code : 'INTERNAL',
    message: typeof error.message === 'string' ? error.message : 'An unexpected error occurred.',
    details: typeof error.details === 'object' && error.details !== null ? error.details : {},
  };
}

export function buildApi(transport: Transport, names: ContractNames): CertificateManagerApi {
  const api: Record<string, unknown> = {};
  for (const key of names.operations) {
    const channel = operationChannel(key);
    api[key] = async (request: unknown) => {
      let answer: unknown;
      try {
        answer = await transport.invoke(channel, request === undefined ? {} : request);
      } catch {
        // The main process refused or failed outside the contract (e.g. no handler yet).
        throw toRendererError({ kind: 'internal', code: 'IPC_FAILED', message: 'The request could not reach CertificateManager.' });
      }
      if (!isResult(answer)) throw toRendererError({ kind: 'internal', code: 'IPC_FAILED', message: 'CertificateManager sent an unexpected answer.' });
      if (answer.ok) return answer.value;
      throw toRendererError(answer.error);
    };
  }
  const eventKeys: readonly string[] = names.events;
  api.on = (event: string, listener: (payload: unknown) => void) => {
    if (!eventKeys.includes(event)) throw new TypeError(`Unknown event: ${String(event)}`);
    if (typeof listener !== 'function') throw new TypeError('The listener must be a function');
    return transport.subscribe(eventChannel(event), (payload) => listener(payload));
  };
  return Object.freeze(api) as unknown as CertificateManagerApi;
}
