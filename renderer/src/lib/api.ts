/**
 * Access to the main process. The preload (or the test bridge) exposes a typed object as
 * `window.certificateManager`; this module is the only place the renderer reaches for it.
 * Only types come from the contract, so no zod reaches the bundle.
 */
import type { CertificateManagerApi, ErrorPayload } from '../../../core/api/contract.js';
import { ERROR_KINDS } from '../../../core/error-kinds.js';

type Api = CertificateManagerApi;
export type ErrorKind = ErrorPayload['kind'];

/** An error as the UI handles it: the core's payload, whatever shape it arrived in. */
export interface UiError {
  kind: ErrorKind;
  code: string;
  message: string;
  details: Record<string, string | number>;
}

const KINDS: readonly ErrorKind[] = ERROR_KINDS;

export function getApi(): Api {
  const api = (globalThis as { certificateManager?: Api }).certificateManager;
  if (!api) throw new Error('window.certificateManager is missing: the preload script did not run.');
  return api;
}

/**
 * Normalises anything a call can reject with. Errors arrive as thrown objects
 * `{ name: 'CertManagerError', kind, code, message, details }`; an Electron IPC rejection may
 * carry them inside `.error` or as JSON at the end of an Error's message.
 */
export function toUiError(error: unknown): UiError {
  const candidate = pickPayload(error);
  if (candidate) return candidate;
  const message = error instanceof Error ? error.message : typeof error === 'string' ? error : 'Unexpected error';
  return { kind: 'internal', code: 'INTERNAL', message, details: {} };
}

function pickPayload(value: unknown, depth = 0): UiError | null {
  if (!value || typeof value !== 'object' || depth > 2) return null;
  const v = value as Record<string, unknown>;
  if (typeof v.code === 'string' && typeof v.kind === 'string' && (KINDS as readonly string[]).includes(v.kind)) {
    const details: Record<string, string | number> = {};
    if (v.details && typeof v.details === 'object') {
      for (const [k, d] of Object.entries(v.details as Record<string, unknown>)) {
        if (typeof d === 'string' || typeof d === 'number') details[k] = d;
      }
    }
    return { kind: v.kind as ErrorKind, code: v.code, message: typeof v.message === 'string' ? v.message : '', details };
  }
  if ('error' in v) return pickPayload(v.error, depth + 1);
  if (typeof v.message === 'string') {
    const brace = v.message.indexOf('{');
    if (brace >= 0) {
      try {
        return pickPayload(JSON.parse(v.message.slice(brace)), depth + 1);
      } catch {
        return null;
      }
    }
  }
  return null;
}
