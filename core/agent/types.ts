/** What the agent's parts share: options, events, the cycle report, timers and defaults. */
import type { AuthFailureRecord } from '../schemas.js';
import type { ContentManifest } from '../trust/index.js';
import type { MessageVerifier } from '../trust/verifier.js';
import { POLL_INTERVAL_SECONDS, type FeedSettings, type Notice } from '../protocol/wire.js';
import type { Transport } from './transport.js';
import type { RotationCache } from './rotation-cache.js';
import type { AgentStorage } from './storage.js';

export interface AgentTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: AgentTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

export interface AgentOptions {
  /** The server's own address: check-ins and uploads go to `${serverUrl}/api/v1/...`. */
  serverUrl: string | URL;
  /** Where the signed feed is read (a mirror or CDN may serve it). Default `${serverUrl}/feed/`. */
  feedUrl?: string | URL;
  storage: AgentStorage;
  transport?: Transport;
  verifier?: MessageVerifier;
  agentVersion?: string | null;
  hostname?: string | null;
  now?: () => Date;
  timers?: AgentTimers;
  /** In [0, 1): jitter and back-off. */
  random?: () => number;
  /** Overrides the interval the server's signed settings give (minutes). */
  uploadIntervalMinutes?: number;
  /** How often start() polls the feed (seconds, ±10 % jitter). Default 300. */
  pollIntervalSeconds?: number;
  /** Whole-exchange timeout per request (default 30 s) and connect timeout (default 10 s). */
  timeoutMs?: number;
  connectTimeoutMs?: number;
  /** Upload retry: first delay and ceiling (the ceiling never exceeds the upload interval). */
  backoff?: { baseMs?: number; maxMs?: number };
  onEvent?: (event: AgentEvent) => void;
  /** Shared by agents in one process (the simulator): each distinct chain walk is verified once. */
  rotationCache?: RotationCache;
}

export type AgentEvent =
  | { type: 'refused'; record: AuthFailureRecord }
  | { type: 'rotated'; fromVersion: number; toVersion: number; fingerprintSha256: string }
  | { type: 'version-learnt'; version: number; from: 'head' | 'chain' }
  | { type: 'settings'; settings: FeedSettings }
  | { type: 'hotfix'; manifest: ContentManifest }
  | { type: 'notice'; notice: Notice }
  | { type: 'checked-in'; trusted: boolean; serverVersion: number }
  | { type: 'uploaded'; count: number; duplicates: number }
  | { type: 'upload-failed'; attempts: number; nextAt: string }
  | { type: 'offline'; url: string; message: string }
  | { type: 'error'; message: string };

export interface CycleReport {
  /** What the agent trusts at the end of the cycle (null: no readable trust state). */
  fingerprintSha256: string | null;
  version: number | null;
  refused: AuthFailureRecord[];
  /** Versions moved forward through the rotation chain in this cycle. */
  rotatedBy: number;
  checkedIn: boolean;
  uploaded: number;
  /** A request could not reach the server (down, refused, HTTP error). */
  offline: boolean;
  /** The last such failure, "path: what happened" (what a feed-unreachable record says). */
  lastOffline: string | null;
  /** No valid feed head for longer than a head's lifetime (recorded as feed-unreachable unless refused). */
  stale: boolean;
  /** The cycle stopped early: stop() was called, or import-cert replaced the trust state. */
  interrupted: boolean;
}

export interface RunOptions {
  /** auto: on the first cycle, after the trusted certificate changed, and with each upload. */
  checkIn?: 'auto' | 'always' | 'never';
  /** due: when the upload schedule says so; force: now, if anything is spooled. */
  upload?: 'due' | 'force' | 'never';
}

export const DEFAULT_UPLOAD_INTERVAL_MINUTES = 60;
export const DEFAULT_POLL_INTERVAL_SECONDS = POLL_INTERVAL_SECONDS;
export const DEFAULT_BACKOFF = { baseMs: 30_000, maxMs: 60 * 60_000 } as const;

export const newCycleReport = (): CycleReport => ({ fingerprintSha256: null, version: null, refused: [], rotatedBy: 0, checkedIn: false, uploaded: 0, offline: false, lastOffline: null, stale: false, interrupted: false });
