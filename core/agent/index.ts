/** core/agent: the reference agent (verify, rotate, refuse, spool and upload auth failures). */
export {
  Agent,
  claimedFingerprint,
  realTimers,
  DEFAULT_BACKOFF,
  DEFAULT_POLL_INTERVAL_SECONDS,
  DEFAULT_UPLOAD_INTERVAL_MINUTES,
  type AgentEvent,
  type AgentOptions,
  type AgentTimers,
  type CycleReport,
  type RunOptions,
} from './agent.js';
export { MessageVerifier, sharedVerifier } from '../trust/verifier.js';
export { RotationCache } from './rotation-cache.js';
export { HttpTransport, TransportError, type HttpRequest, type HttpResponse, type Transport, type TransportFailure, type HttpTransportOptions } from './transport.js';
export { FileAgentStorage, MemoryAgentStorage, TrustStateChanged, newAgentMeta, type AgentMeta, type AgentStorage, type TrustSnapshot } from './storage.js';
export { importTrustedCertificate, readCertificateFile, type ImportResult } from './provision.js';
