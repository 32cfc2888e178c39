import { hash, randomBytes } from 'node:crypto';
import forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { bmpPassword, iterateDigest, pkcs12Kdf, type KdfId } from '../../core/pki/pkcs12/kdf.js';
import { DIGESTS, OID, SHA1, SHA256 } from '../../core/pki/pkcs12/oids.js';
import { SHA256_ITERATE_WASM, sha256Iterate32, sha256StateFrom, sha256StateTo } from '../../core/pki/pkcs12/sha256-iterate.js';
import { sha256IterateModule } from '../../core/pki/pkcs12/sha256-wasm-source.js';

function nativeIterate(name: string, start: Buffer, n: number): Buffer {
  let d = start;
  for (let i = 0; i < n; i++) d = hash(name, d, 'buffer');
  return d;
}

/** node-forge's independent implementation of RFC 7292 B.2, as an oracle. */
function forgeKdf(mdName: 'sha1' | 'sha256' | 'sha512', password: string | null, salt: Buffer, id: KdfId, iterations: number, n: number): Buffer {
  const md = forge.md[mdName].create();
  const out = forge.pkcs12.generateKey(password, forge.util.createBuffer(salt.toString('latin1')), id, iterations, n, md);
  return Buffer.from(out.getBytes(), 'latin1');
}

describe('sha256Iterate32', () => {
  it('runs exactly the module its source writes (the bytes in sha256-iterate.ts are not edited by hand)', () => {
    const written = Buffer.from(sha256IterateModule()).toString('base64');
    // On a change to sha256-wasm-source.ts, paste this into SHA256_ITERATE_WASM.
    if (written !== SHA256_ITERATE_WASM) console.log(`SHA256_ITERATE_WASM = '${written}'`);
    expect(written === SHA256_ITERATE_WASM, 'SHA256_ITERATE_WASM differs from what sha256IterateModule() writes').toBe(true);
  });

  it('matches node:crypto for 0, 1, 2 and many iterations', () => {
    for (const n of [0, 1, 2, 3, 64, 1000, 4096, 4097, 8192 + 5]) {
      const seed = randomBytes(32);
      const state = sha256StateFrom(seed);
      sha256Iterate32(state, n);
      expect(sha256StateTo(state).toString('hex'), `n=${n}`).toBe(nativeIterate('sha256', seed, n).toString('hex'));
    }
  });

  it('handles digests with high bits set in every word (signed int32 edge cases)', () => {
    for (const fill of [0x00, 0xff, 0x80, 0x7f]) {
      const seed = Buffer.alloc(32, fill);
      const state = sha256StateFrom(seed);
      sha256Iterate32(state, 5);
      expect(sha256StateTo(state)).toEqual(nativeIterate('sha256', seed, 5));
    }
  });

  it('iterateDigest slices long runs and stays exact across slice boundaries', async () => {
    const seed = randomBytes(32);
    const n = 65_536 * 2 + 3;
    expect(await iterateDigest(SHA256, seed, n)).toEqual(nativeIterate('sha256', seed, n));
    const s1 = randomBytes(20);
    expect(await iterateDigest(SHA1, s1, 16_384 + 5)).toEqual(nativeIterate('sha1', s1, 16_384 + 5));
  });
});

describe('bmpPassword', () => {
  it('is UTF-16BE with a two-byte terminator, surrogate pairs kept', () => {
    expect(bmpPassword('')).toEqual(Buffer.from([0, 0]));
    expect(bmpPassword('Ab')).toEqual(Buffer.from([0, 0x41, 0, 0x62, 0, 0]));
    expect(bmpPassword('ä日')).toEqual(Buffer.from([0x00, 0xe4, 0x65, 0xe5, 0, 0]));
    expect(bmpPassword('😀')).toEqual(Buffer.from([0xd8, 0x3d, 0xde, 0x00, 0, 0]));
  });
});

describe('pkcs12Kdf (RFC 7292 B.2)', () => {
  const cases: Array<[string, 'sha1' | 'sha256' | 'sha512', string, number, KdfId, number, number]> = [
    ['SHA-256 MAC key', 'sha256', 'pässwörd-日本', 16, 3, 2048, 32],
    ['SHA-256, 1 iteration', 'sha256', 'x', 8, 3, 1, 32],
    ['SHA-256, multi-block output (I update)', 'sha256', 'secret', 8, 1, 7, 80],
    ['SHA-256, long password and salt', 'sha256', 'p'.repeat(70), 100, 2, 3, 16],
    ['SHA-1 MAC key', 'sha1', 'password', 8, 3, 2048, 20],
    ['SHA-1 3DES key (two blocks)', 'sha1', 'password', 8, 1, 2048, 24],
    ['SHA-1 IV', 'sha1', 'password', 8, 2, 2048, 8],
    ['SHA-1 RC2-40 key', 'sha1', 'pässwörd', 8, 1, 5, 5],
    ['SHA-512 (128-byte blocks)', 'sha512', 'password', 20, 3, 10, 64],
    ['empty password', 'sha256', '', 8, 3, 5, 32],
    ['empty salt', 'sha256', 'pw', 0, 3, 5, 32],
  ];
  for (const [name, md, password, saltLength, id, iterations, n] of cases) {
    it(`matches node-forge: ${name}`, async () => {
      const salt = randomBytes(saltLength);
      const digest = md === 'sha1' ? SHA1 : md === 'sha256' ? SHA256 : DIGESTS[OID.sha512]!;
      const ours = await pkcs12Kdf(digest, bmpPassword(password), salt, id, iterations, n);
      expect(ours.toString('hex')).toBe(forgeKdf(md, password, salt, id, iterations, n).toString('hex'));
    });
  }

  it('the "absent password" variant (empty Buffer) matches forge with a null password', async () => {
    const salt = randomBytes(8);
    const ours = await pkcs12Kdf(SHA256, Buffer.alloc(0), salt, 3, 3, 32);
    expect(ours).toEqual(forgeKdf('sha256', null, salt, 3, 3, 32));
  });

  it('refuses iteration counts below 1', async () => {
    await expect(pkcs12Kdf(SHA256, bmpPassword('x'), Buffer.alloc(8), 3, 0, 32)).rejects.toThrow(RangeError);
  });

  it('does not block the event loop for long during a long run', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 1);
    await pkcs12Kdf(SHA256, bmpPassword('x'), Buffer.alloc(8), 3, 400_000, 32);
    clearInterval(timer);
    expect(ticks).toBeGreaterThan(1);
  });
});
