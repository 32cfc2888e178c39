/**
 * fast-check mutates valid backups (bit flips, truncations, insertions, byte overwrites) and
 * every mutant is either refused with a clean CertManagerError or opens to the very same key.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseBackupBytes, openBackup } from '../../core/backup/read.js';
import { CertManagerError } from '../../core/errors.js';
import { generateCertificate, backupCertificate } from '../../core/ops/index.js';
import { spkiDer } from '../../core/pki/keys.js';
import { tempDir } from '../helpers/temp.js';
import { fixtureContext } from '../helpers/fixtures.js';

const pw = 'property test password';
let good: Buffer;
let goodKey: Buffer;

beforeAll(async () => {
  const root = await tempDir();
  const context = fixtureContext(join(root, 'store'));
  await generateCertificate(context, { password: pw, keySize: 2048 });
  await backupCertificate(context, { password: pw, outPath: join(root, 'b.zip') });
  good = await readFile(join(root, 'b.zip'));
  goodKey = spkiDer((await openBackup(await parseBackupBytes(good), pw)).privateKey);
});

type Mutation = { kind: 'flip'; at: number; bit: number } | { kind: 'truncate'; at: number } | { kind: 'insert'; at: number; bytes: number[] } | { kind: 'overwrite'; at: number; bytes: number[] };

function mutate(data: Buffer, m: Mutation): Buffer {
  const at = m.at % (data.length + 1);
  switch (m.kind) {
    case 'flip': {
      const copy = Buffer.from(data);
      if (at < copy.length) copy[at]! ^= 1 << m.bit;
      return copy;
    }
    case 'truncate':
      return data.subarray(0, at);
    case 'insert':
      return Buffer.concat([data.subarray(0, at), Buffer.from(m.bytes), data.subarray(at)]);
    case 'overwrite': {
      const copy = Buffer.from(data);
      Buffer.from(m.bytes).copy(copy, Math.min(at, copy.length));
      return copy;
    }
  }
}

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('overwrite' as const), at: fc.nat(), bytes: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 8 }) }),
);

describe('mutated backups', () => {
  it('are refused cleanly or restore the same key', async () => {
    let refusedCount = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (mutations) => {
        const mutant = mutations.reduce(mutate, good);
        try {
          const opened = await openBackup(await parseBackupBytes(mutant), pw);
          expect(spkiDer(opened.privateKey).equals(goodKey)).toBe(true);
        } catch (error) {
          if (!(error instanceof CertManagerError)) throw error;
          expect(['bad-input', 'wrong-password']).toContain(error.kind);
          expect(error.message).not.toContain('\n');
          refusedCount++;
        }
      }),
      { numRuns: 300 },
    );
    expect(refusedCount).toBeGreaterThan(100);
  }, 120_000);
});
