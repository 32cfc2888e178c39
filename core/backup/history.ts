/**
 * A certificate's history is one chain: version 1 -> 2 -> ... -> current, each step a rotation
 * statement signed by the old key and the new key. The store keeps it that way, and a backup's
 * history is checked to be exactly that before a restore installs it: the manifest is only a
 * checksum (anyone can rewrite a zip), so the signatures are what make a history believable.
 */
import { badInput } from '../errors.js';
import { fingerprintSha256 } from '../pki/inspect.js';
import { createTrustState, followRotations, isTrustError } from '../trust/index.js';

interface ChainHistory {
  replaced: { certificateDer: string; version: number; replacedAt: string }[];
  rotations: string[];
  currentVersion: number;
}

/** Fingerprints by version, oldest first, ending with the current certificate. */
export function chainFingerprints(history: ChainHistory, currentDer: Buffer): string[] {
  return [...[...history.replaced].sort((a, b) => a.version - b.version).map((r) => fingerprintSha256(Buffer.from(r.certificateDer, 'base64'))), fingerprintSha256(currentDer)];
}

const broken = (why: string, cause?: unknown) =>
  badInput('BACKUP_BAD_HISTORY', `The backup's certificate history is not a valid rotation chain (${why}); it was damaged or altered. Use another backup.`, {}, cause);

export async function verifyHistory(history: ChainHistory, currentDer: Buffer): Promise<void> {
  const replaced = [...history.replaced].sort((a, b) => a.version - b.version);
  if (history.currentVersion !== replaced.length + 1 || history.rotations.length !== replaced.length) throw broken('its versions and statements do not add up');
  replaced.forEach((r, i) => {
    if (r.version !== i + 1) throw broken('its versions are not 1, 2, 3, ...');
  });
  if (replaced.length === 0) return;
  let state;
  try {
    state = createTrustState(Buffer.from(replaced[0]!.certificateDer, 'base64'), { version: 1 });
    state = await followRotations(state, history.rotations, { maxSteps: history.rotations.length });
  } catch (error) {
    if (isTrustError(error)) throw broken(error.reason, error);
    throw error;
  }
  const expected = chainFingerprints(history, currentDer);
  if (state.version !== history.currentVersion || state.fingerprintSha256 !== expected.at(-1)) throw broken('it does not end at this certificate');
  if (state.replaced.join() !== expected.slice(0, -1).join()) throw broken('its replaced certificates are not the ones the chain passed through');
}
