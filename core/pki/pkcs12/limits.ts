/**
 * Bounds on what a PKCS#12 file may ask of us. Real files are a few KiB holding one key and a
 * handful of certificates; anything far beyond is refused as hostile before work is spent on it.
 */
export const LIMITS = {
  maxInputBytes: 1024 * 1024,
  /** ContentInfos in the authenticated safe. */
  maxContentInfos: 16,
  /** Safe bags in the whole file (certificates, keys and anything else). */
  maxBags: 64,
  /** Attributes on one bag, and values in one attribute. */
  maxAttributes: 16,
  /** Encrypted parts whose PBKDF2 may start before the MAC is checked (wasted on a wrong password). */
  maxPrefetch: 4,
  /** Salts: real ones are 8 to 64 bytes. */
  maxSaltBytes: 1024,
  /** Default for DecodeOptions.maxIterations; also the highest count encodePkcs12 writes. */
  maxIterations: 10_000_000,
} as const;
