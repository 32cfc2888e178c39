/**
 * The transport-independent half of the IPC boundary: given the contract's handlers, an
 * operation name and the raw arguments that arrived (over Electron IPC, or over the test-only
 * HTTP bridge), it validates, calls and answers with a `Result<T>`.
 *
 * This module must never import `electron`: the test bridge loads it under plain Node, and that
 * is what guarantees the bridge exercises exactly the checks the app does.
 *
 * Nothing here logs request arguments: passwords travel in them.
 */
import type { z } from 'zod';
import { ERROR_KINDS } from '../errors.js';
import { contract, type ApiHandlers, type ErrorPayload, type OperationKey, type Result } from './contract.js';

export type Logger = (message: string) => void;

export interface DispatchOptions {
  /**
   * Check every response against the contract's response schema. On in development and in the
   * bridge (a mismatch is a bug to catch early); off in the packaged app, where it would only
   * cost time (the handlers' return types are already checked at compile time).
   */
  validateResponses: boolean;
  /** Where bugs (unexpected errors, response mismatches) are reported. Never receives arguments. */
  log?: Logger;
}

/** What an admin sees for anything that is not a deliberate CertManagerError. */
export const GENERIC_INTERNAL_MESSAGE =
  'An unexpected error occurred inside CertificateManager. The details were written to the application log.';

const KNOWN_KINDS: ReadonlySet<string> = new Set<string>(ERROR_KINDS);

export function isOperationKey(key: unknown): key is OperationKey {
  // Object.hasOwn, not `in`: "__proto__", "constructor" and "toString" are not operations.
  return typeof key === 'string' && Object.hasOwn(contract, key);
}

const failure = (kind: ErrorPayload['kind'], code: string, message: string, details: ErrorPayload['details'] = {}): Result<never> => ({
  ok: false,
  error: { kind, code, message, details },
});

/**
 * A description of what was wrong with a request that is safe to send back and to log: where
 * (the field path) and what kind of problem (zod's issue code), never the value itself.
 */
function describeIssues(error: z.ZodError): ErrorPayload['details'] {
  const first = error.issues[0];
  const details: Record<string, string | number> = { issues: error.issues.length };
  if (first) {
    details.field = first.path.map(String).join('.') || '(request)';
    details.problem = first.code;
    if (first.code === 'unrecognized_keys') details.unexpectedKeys = first.keys.join(',').slice(0, 200);
  }
  return details;
}

interface CertManagerErrorLike {
  name: 'CertManagerError';
  kind: ErrorPayload['kind'];
  code: string;
  message: string;
  details?: unknown;
}

/**
 * Duck-typed rather than `instanceof`: the app and the bridge may end up with two copies of
 * core/errors (source and compiled), and a real CertManagerError from either must keep its fields.
 */
function isCertManagerErrorLike(error: unknown): error is CertManagerErrorLike {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as Record<string, unknown>;
  return e.name === 'CertManagerError' && typeof e.kind === 'string' && KNOWN_KINDS.has(e.kind) && typeof e.code === 'string' && typeof e.message === 'string';
}

function sanitizeDetails(details: unknown): ErrorPayload['details'] {
  const out: Record<string, string | number> = {};
  if (typeof details !== 'object' || details === null) return out;
  for (const [key, value] of Object.entries(details)) {
    if (typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value))) out[key] = value;
  }
  return out;
}

/**
 * Maps anything thrown by a handler onto the contract's ErrorPayload. A CertManagerError keeps
 * its kind, code, message and details (they were written for the admin). Anything else, and the
 * core's own catch-all "INTERNAL" wrapper (whose message may quote a path or a library's text),
 * becomes a generic internal error: no stack, no file paths, no library messages cross over.
 */
export function toErrorPayload(error: unknown): ErrorPayload {
  if (isCertManagerErrorLike(error)) {
    if (error.kind === 'internal' && error.code === 'INTERNAL') {
      return { kind: 'internal', code: 'INTERNAL', message: GENERIC_INTERNAL_MESSAGE, details: {} };
    }
    return { kind: error.kind, code: error.code, message: error.message, details: sanitizeDetails(error.details) };
  }
  return { kind: 'internal', code: 'INTERNAL', message: GENERIC_INTERNAL_MESSAGE, details: {} };
}

/** For the log only (main's console / the bridge's stderr): what went wrong, without arguments. */
function describeForLog(error: unknown): string {
  if (error instanceof Error) return error.stack ?? `${error.name}: ${error.message}`;
  return `non-Error value thrown (${typeof error})`;
}

/**
 * Validates and runs one call. `args` is everything the transport delivered after the event
 * (IPC) or the parsed JSON body (bridge, as a one-element array): exactly one argument is
 * accepted, and it must satisfy the operation's strict request schema.
 */
export async function dispatch(handlers: ApiHandlers, key: string, args: readonly unknown[], options: DispatchOptions): Promise<Result<unknown>> {
  const log = options.log ?? ((message: string) => console.error(message));
  if (!isOperationKey(key)) {
    return failure('usage', 'UNKNOWN_OPERATION', 'This operation does not exist.', { operation: String(key).slice(0, 100) });
  }
  if (args.length !== 1) {
    return failure('usage', 'INVALID_REQUEST', `The request for ${key} must be exactly one object.`, { operation: key, arguments: args.length });
  }
  const schemas = contract[key];
  const parsed = schemas.request.safeParse(args[0]);
  if (!parsed.success) {
    return failure('usage', 'INVALID_REQUEST', `The request for ${key} is not valid.`, { operation: key, ...describeIssues(parsed.error) });
  }

  let value: unknown;
  try {
    const handler = handlers[key] as (request: unknown) => Promise<unknown>;
    value = await handler(parsed.data);
  } catch (error) {
    const payload = toErrorPayload(error);
    if (payload.kind === 'internal') log(`[ipc] ${key} failed with an internal error: ${describeForLog(error)}`);
    return { ok: false, error: payload };
  }

  if (options.validateResponses) {
    const checked = schemas.response.safeParse(value);
    if (!checked.success) {
      const d = describeIssues(checked.error);
      log(`[ipc] ${key} returned a response that does not match the contract (field ${String(d.field)}: ${String(d.problem)})`);
      return failure('internal', 'INVALID_RESPONSE', GENERIC_INTERNAL_MESSAGE);
    }
  }
  return { ok: true, value };
}
