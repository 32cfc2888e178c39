/**
 * The backup zip, version 1 (documented in docs/backup-format.md).
 *
 *   manifest.json     format, version, creation time, fingerprint, SHA-256 + size of every entry
 *   certificate.p12   key and certificate, PKCS#12 protected by the backup password
 *   certificate.cer   the public certificate (DER) that agents trust
 *   history.json      replaced certificates and the rotation chain
 *
 * Only these names are accepted when reading, each with a size cap, so nothing an attacker
 * adds to a zip is ever looked at. The zip itself is not encrypted: the secret is inside the
 * PKCS#12, where the key stretching is.
 */
import { z } from 'zod';
import { IsoTime, Sha256Hex } from '../schemas.js';

export const BACKUP_FORMAT = 'certificatemanager-backup';
export const BACKUP_FORMAT_VERSION = 1;

export const ENTRY_LIMITS = {
  'manifest.json': 64 * 1024,
  'certificate.p12': 256 * 1024,
  'certificate.cer': 16 * 1024,
  'history.json': 8 * 1024 * 1024,
} as const;
export type EntryName = keyof typeof ENTRY_LIMITS;
export const ENTRY_NAMES = Object.keys(ENTRY_LIMITS) as EntryName[];
/** A backup file larger than this is not ours: refused before it is parsed. */
export const MAX_BACKUP_FILE_BYTES = 16 * 1024 * 1024;

export const ManifestSchema = z
  .object({
    format: z.literal(BACKUP_FORMAT),
    formatVersion: z.literal(BACKUP_FORMAT_VERSION),
    createdAt: IsoTime,
    fingerprintSha256: Sha256Hex,
    subject: z.string(),
    notAfter: IsoTime,
    exportable: z.literal(true),
    entries: z.record(z.enum(['certificate.p12', 'certificate.cer', 'history.json']), z.object({ sha256: Sha256Hex, size: z.number().int().nonnegative() })),
  })
  .strict();
export type Manifest = z.infer<typeof ManifestSchema>;

const Base64 = z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/);
export const HistorySchema = z
  .object({
    replaced: z.array(z.object({ certificateDer: Base64, version: z.number().int().positive(), replacedAt: IsoTime })).max(10_000),
    rotations: z.array(z.string().max(64 * 1024)).max(10_000),
    currentVersion: z.number().int().positive(),
  })
  .strict();
export type History = z.infer<typeof HistorySchema>;
