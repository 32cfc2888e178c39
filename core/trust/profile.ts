/**
 * The fixed parameters of our JWS profile, in one place so signer and verifier cannot drift.
 *
 * Algorithm: PS256 (RSASSA-PSS, SHA-256, MGF1-SHA-256, salt = 32 bytes). Both ends are ours,
 * so the interoperability RS256 would buy is worth nothing here, while PSS has a security
 * proof, is randomized, and has no PKCS#1 v1.5 padding to parse leniently (the class of bug
 * behind the node-forge forgery CVEs). The verifier accepts exactly this one algorithm: 'none',
 * HS* (key-confusion with the public key as an HMAC secret) and even RS256 are refused.
 *
 * Explicit typing (RFC 8725 §3.11): messages and rotation statements carry different `typ`
 * values, so one can never be presented as the other.
 */
export const JWS_ALG = 'PS256';
export const MESSAGE_TYP = 'cm-msg+jws';
export const ROTATION_TYP = 'cm-rotation+jws';

/**
 * Every kind of message the server signs. 'rotation' is a message that carries rotation
 * statements to agents (the statements themselves are self-authenticating JWS documents).
 */
export const MESSAGE_KINDS = ['notification', 'endpoint-response', 'settings', 'hotfix-manifest', 'rotation'] as const;
export type MessageKind = (typeof MESSAGE_KINDS)[number];

/** A compact message larger than this is refused before anything in it is decoded. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1024 * 1024;
/** A rotation statement is a certificate and two signatures: a few KiB. */
export const MAX_ROTATION_STATEMENT_BYTES = 64 * 1024;
/** Agents and server disagree on the time by this much without refusing messages. */
export const DEFAULT_CLOCK_SKEW_SECONDS = 60;
/** Default lifetime of a signed message; the feed re-signs before it runs out. */
export const DEFAULT_TTL_SECONDS = 24 * 60 * 60;
/** Smallest RSA modulus a certificate may use to be trusted (the server generates 3072). */
export const MIN_RSA_BITS = 2048;
/** Rotation steps an agent walks in one go before it asks to be re-provisioned. */
export const DEFAULT_MAX_ROTATION_STEPS = 64;
