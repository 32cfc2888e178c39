/**
 * The one gate a new generation passes before CURRENT moves to it (issue #10).
 *
 * Everything that will later read the new state reads it here first, completely: status and
 * the app (every certificate described), the key against its certificate, and the round trip
 * an admin depends on: a backup of it is built (at a token iteration count, in memory) and
 * opened again the way verify-backup and a restore on a fresh machine open it, chain and
 * history included. If any of that fails, the operation is refused with the reason and the
 * store keeps its old state: a certificate the tool cannot back up is never installed.
 *
 * commitStore accepts only a CheckedGeneration, and this module is the only one that makes one.
 */
import type { KeyObject } from 'node:crypto';
import { CertManagerError, badInput } from '../errors.js';
import { describeCertificate, keyMatchesCertificate, parseChainCertificate } from '../pki/inspect.js';
import { privateKeyToPem } from '../pki/keys.js';
import { openBackup, parseBackupBytes } from '../backup/read.js';
import type { CheckedGeneration, StoreState } from '../store/store.js';
import { buildBackup } from './backup-of-store.js';

/** Not a secret: the probe backup lives in memory only and is dropped at once. */
const PROBE_PASSWORD = 'generation-check';

function refused(what: string, cause: unknown): CertManagerError {
  const reason = cause instanceof Error ? cause.message.split('\n')[0] : String(cause);
  return badInput(
    'CERT_NOT_BACKUP_SAFE',
    `This certificate was not installed: ${what} (${reason}). Nothing was changed. Export it again (with its chain and private key) or use another backup.`,
    {},
    cause,
  );
}

export async function checkGeneration(state: StoreState, privateKey: KeyObject, now: Date): Promise<CheckedGeneration> {
  const current = Buffer.from(state.current.certificateDer, 'base64');
  try {
    describeCertificate(current);
    for (const r of state.replaced) describeCertificate(Buffer.from(r.certificateDer, 'base64'));
    for (const c of state.current.chainDer ?? []) parseChainCertificate(Buffer.from(c, 'base64'));
  } catch (cause) {
    throw refused('a certificate in it cannot be read', cause);
  }
  if (!keyMatchesCertificate(privateKey, current))
    throw refused('the private key does not belong to the certificate', new Error('key mismatch'));

  let opened;
  try {
    const { zip } = await buildBackup({ privateKey, state }, PROBE_PASSWORD, { iterations: 1, now });
    opened = await openBackup(await parseBackupBytes(zip), PROBE_PASSWORD, now);
  } catch (cause) {
    throw refused('a backup of it could not be written and read back', cause);
  }
  const chain = (state.current.chainDer ?? []).map((c) => Buffer.from(c, 'base64'));
  if (!opened.certificateDer.equals(current) || opened.chain.length !== chain.length || !opened.chain.every((c, i) => c.equals(chain[i]!)))
    throw refused('its backup did not give back the same certificate and chain', new Error('round trip differs'));
  return { state, privateKeyPem: privateKeyToPem(privateKey) } as CheckedGeneration;
}
