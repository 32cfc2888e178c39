import { spawnSync } from 'node:child_process';
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertManagerError } from '../../core/errors.js';
import { decodePkcs12, encodePkcs12 } from '../../core/pki/pkcs12/index.js';

// Property: any damage to a valid file (byte flips, truncation, inserted bytes) is either
// rejected with a CertManagerError of kind wrong-password or bad-input, or (if the damage hit
// bytes that do not matter, e.g. BER leniency) decodes to exactly the same key and certificate.
// Never any other exception. Low iteration counts keep each decode at a few milliseconds; the
// maxIterations cap keeps a flipped count from turning one case into seconds of hashing.

const PASSWORD = 'secret';
const MAX_ITERATIONS = 50_000;

let dir: string;
let key: KeyObject;
let certDer: Buffer;
const files: Record<string, Buffer> = {};

function openssl(args: string[]): void {
  const r = spawnSync('/usr/bin/openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'pkcs12-prop-'));
  const keyFile = join(dir, 'k.pem');
  const certFile = join(dir, 'c.pem');
  openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=test', '-days', '2', '-keyout', keyFile, '-out', certFile]);
  key = createPrivateKey(readFileSync(keyFile));
  certDer = new X509Certificate(readFileSync(certFile)).raw;
  files.ours = await encodePkcs12({ privateKey: key, certificate: certDer, friendlyName: 'prop' }, PASSWORD, { iterations: 3, macIterations: 5 });
  for (const [name, extra] of [
    ['openssl', ['-iter', '3']],
    ['openssl-legacy', ['-legacy', '-iter', '3']],
  ] as const) {
    const out = join(dir, `${name}.p12`);
    openssl(['pkcs12', '-export', '-inkey', keyFile, '-in', certFile, '-out', out, '-passout', `pass:${PASSWORD}`, ...extra]);
    files[name] = readFileSync(out);
  }
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

type Damage =
  | { kind: 'flip'; at: Array<{ pos: number; xor: number }> }
  | { kind: 'truncate'; length: number }
  | { kind: 'insert'; pos: number; bytes: Uint8Array };

const damage = (length: number): fc.Arbitrary<Damage> =>
  fc.oneof(
    fc.record({
      kind: fc.constant('flip' as const),
      at: fc.array(fc.record({ pos: fc.nat({ max: length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), { minLength: 1, maxLength: 4 }),
    }),
    fc.record({ kind: fc.constant('truncate' as const), length: fc.nat({ max: length - 1 }) }),
    fc.record({ kind: fc.constant('insert' as const), pos: fc.nat({ max: length }), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  );

function apply(original: Buffer, d: Damage): Buffer {
  if (d.kind === 'truncate') return original.subarray(0, d.length);
  if (d.kind === 'insert') return Buffer.concat([original.subarray(0, d.pos), Buffer.from(d.bytes), original.subarray(d.pos)]);
  const b = Buffer.from(original);
  for (const { pos, xor } of d.at) b[pos]! ^= xor;
  return b;
}

const pkcs8 = (k: KeyObject) => k.export({ type: 'pkcs8', format: 'der' });

describe('damaged files: CertManagerError or the identical key, nothing else', () => {
  for (const name of ['ours', 'openssl', 'openssl-legacy']) {
    it(name, async () => {
      const original = files[name]!;
      const expectedKey = pkcs8(key);
      let rejected = 0;
      await fc.assert(
        fc.asyncProperty(damage(original.length), async (d) => {
          const input = apply(original, d);
          try {
            const out = await decodePkcs12(input, PASSWORD, { maxIterations: MAX_ITERATIONS });
            expect(pkcs8(out.privateKey).equals(expectedKey)).toBe(true);
            expect(out.certificate.equals(certDer)).toBe(true);
          } catch (e) {
            if (!(e instanceof CertManagerError)) throw e;
            expect(['wrong-password', 'bad-input']).toContain(e.kind);
            expect(e.message.split('\n')).toHaveLength(1);
            rejected++;
          }
        }),
        { numRuns: 400 },
      );
      expect(rejected).toBeGreaterThan(300);
    });
  }
});
