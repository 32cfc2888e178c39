/**
 * Check-in: POST the agent id and the certificate it trusts; verify the signed response, which
 * must answer this request (nonce) and name what the server received (requestSha256).
 */
import { API_PATHS, CheckInResponseSchema, newNonce, requestSha256 } from '../protocol/wire.js';
import type { AgentIO } from './io.js';
import type { TrustSession } from './session.js';
import type { CycleReport } from './types.js';

/** True when the server heard this agent and its signed answer held. */
export async function checkIn(io: AgentIO, session: TrustSession | null, report: CycleReport): Promise<boolean> {
  const meta = await io.loadMeta();
  const nonce = newNonce();
  const state = session?.state;
  const request = JSON.stringify({
    agentId: meta.agentId,
    hostname: io.options.hostname ?? null,
    agentVersion: io.options.agentVersion ?? null,
    trustedFingerprint: state?.fingerprintSha256 ?? '',
    trustedVersion: state?.versionKnown ? state.version : 0,
    nonce,
    sentAt: io.now().toISOString(),
    // Freshness: the server tells "current" from "stale" and "refusing" by these.
    lastHead: state?.lastHead ? { seq: state.lastHead.seq, verifiedAt: state.lastHead.verifiedAt, lifetimeSeconds: state.lastHead.lifetimeSeconds } : null,
    lastRefusal: meta.lastRefusal ?? null,
  });
  const sent = requestSha256(request);
  const bytes = await io.post(API_PATHS.checkIn, request, sent, report);
  if (!bytes || !session) return false;
  const message = await session.accept(bytes, 'endpoint-response', report, false);
  if (message === null || message === 'repeat') return false;
  const body = CheckInResponseSchema.safeParse(message.body);
  if (!body.success) {
    await io.refuse(report, 'endpoint-response', 'malformed', 'The check-in response body is not valid', message.signerFingerprintSha256);
    return false;
  }
  if (body.data.agentId !== meta.agentId || body.data.nonce !== nonce) {
    await io.refuse(report, 'endpoint-response', 'replay', 'The check-in response answers another request', message.signerFingerprintSha256);
    return false;
  }
  // The server must have heard what this agent said (which certificate it trusts).
  if (body.data.requestSha256 !== sent) {
    await session.commit(message);
    await io.refuse(report, 'endpoint-response', 'request-altered', 'The server received another check-in than this agent sent', message.signerFingerprintSha256);
    return false;
  }
  await session.commit(message);
  report.checkedIn = true;
  io.emit({ type: 'checked-in', trusted: body.data.trusted, serverVersion: body.data.certificate.version });
  return true;
}
