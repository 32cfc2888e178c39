/**
 * Limits and defaults, each written once. The contract's schemas, the command line's options and
 * help, the operations and the app's screens all take them from here. No imports: the renderer
 * bundles this module (it must not pull zod in).
 */

/** RSA key sizes a new certificate may have. */
export const KEY_SIZES = [2048, 3072, 4096] as const;
export type KeySize = (typeof KEY_SIZES)[number];
export const DEFAULT_KEY_SIZE: KeySize = 3072;

/** Validity of a new certificate, in days (default: three years). */
export const VALIDITY_DAYS = { min: 1, max: 3650, default: 3 * 365 } as const;

/** A password that protects a new backup, in characters as a person counts them (パスワード is 5). */
export const NEW_PASSWORD_LENGTH = { min: 8, max: 1024 } as const;

/** The settings the app edits: their ranges and defaults. */
export const SETTINGS_LIMITS = {
  /** How often agents upload their auth-failure logs (the original: every 60 minutes). */
  logUploadIntervalMinutes: { min: 5, max: 24 * 60 },
  /** The dashboard warns this many days before the certificate expires. */
  expiryWarningDays: { min: 1, max: 365 },
} as const;
export const DEFAULT_SETTINGS = { logUploadIntervalMinutes: 60, expiryWarningDays: 30, language: 'auto' as 'auto' | 'ja' | 'en' };
