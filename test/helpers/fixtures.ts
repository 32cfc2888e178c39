/**
 * Stores and backups for tests to start from, built in this process with the same core
 * operations the CLI runs, at a low PBKDF2 count. Most of the suite's time went into spawning
 * the real CLI at full strength (600,000 iterations) just to have something to test against;
 * the operations themselves keep full-strength, real-process tests in test/cli and test/store.
 * A backup written here is read at its own low count by every later -r / verify-backup.
 */
import { backupCertificate, generateCertificate } from '../../core/ops/index.js';
import type { OperationContext } from '../../core/ops/context.js';
import { newTestPrivateKey } from './test-keys.js';

/** PBKDF2 iterations for fixtures: enough to exercise every code path, quick to derive. */
export const FIXTURE_ITERATIONS = 1000;

/**
 * What makes a store operation in a test quick: few PBKDF2 iterations and keys from
 * test-keys.ts. Spread into an OperationContext, the app's handlers or the CLI's overrides.
 */
export const FIXTURE_STRENGTH = { iterations: FIXTURE_ITERATIONS, newPrivateKey: newTestPrivateKey } satisfies Partial<OperationContext>;

/** The context a test gives a core operation on `dataDir`. */
export const fixtureContext = (dataDir: string): OperationContext => ({ dataDir, ...FIXTURE_STRENGTH });

/** A data folder holding a freshly generated certificate (what `-g <password>` leaves). */
export async function storeWithCertificate(dataDir: string, password: string, options: { keySize?: 2048 | 3072 | 4096; subject?: string } = {}) {
  return generateCertificate(fixtureContext(dataDir), { password, keySize: options.keySize ?? 2048, subject: options.subject });
}

/** A backup zip of the store's certificate (what `-b <password> <outPath>` writes). */
export async function backupOf(dataDir: string, password: string, outPath: string) {
  return backupCertificate(fixtureContext(dataDir), { password, outPath });
}
