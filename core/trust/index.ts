/**
 * core/trust: what a signed server message is, and how an agent's trust moves forward.
 * Server side: signMessage, createContentManifest, createRotationStatement.
 * Agent side: MessageVerifier (the one verifier), checkContent / ContentCheck, and TrustState,
 * the only place what an agent trusts changes.
 */
export { TrustError, TRUST_FAILURE_REASONS, isTrustError, type TrustFailureReason } from './errors.js';
export {
  JWS_ALG,
  MESSAGE_TYP,
  ROTATION_TYP,
  MESSAGE_KINDS,
  DEFAULT_MAX_MESSAGE_BYTES,
  DEFAULT_CLOCK_SKEW_SECONDS,
  DEFAULT_TTL_SECONDS,
  DEFAULT_MAX_ROTATION_STEPS,
  MAX_ROTATION_STATEMENT_BYTES,
  MIN_RSA_BITS,
  type MessageKind,
} from './profile.js';
export { fingerprintSha256, thumbprintB64url } from './certificate.js';
export type { Signer } from './signer.js';
export { MessageVerifier, sharedVerifier, verifyMessage } from './verifier.js';
export {
  signMessage,
  messagePayloadSchema,
  type SignMessageInput,
  type VerifyMessageOptions,
  type VerifiedMessage,
  type MessagePayload,
  type MessageTrust,
} from './message.js';
export { createContentManifest, checkContent, ContentCheck, contentManifestSchema, type ContentManifest, type ContentManifestInput } from './manifest.js';
export { createRotationStatement, verifyRotationStep, parseRotationStatement, isSignedBy, type RotationStep, type RotationPayload, type ParsedRotationStatement } from './rotation.js';
export { assertFresh, recordSeq, isRepeatOfLastAccepted, type ReplayState } from './replay.js';
export {
  TrustState,
  createTrustState,
  parseTrustState,
  serializeTrustState,
  recordAccepted,
  followRotations,
  type VerifiedHead,
  type Walk,
  type WalkCache,
} from './trust-state.js';
