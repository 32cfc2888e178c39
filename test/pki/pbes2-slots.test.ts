/**
 * PBKDF2 derivations share the threadpool one fewer at a time than there are cores
 * (core/pki/pkcs12/pbes2.ts): however many are asked for at once, each gets its own right key,
 * and one that fails gives its turn back instead of stopping the ones behind it.
 */
import { describe, expect, it } from 'vitest';
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import { deriveAes256Key } from '../../core/pki/pkcs12/pbes2.js';

describe('deriveAes256Key under load', () => {
  it('gives every one of many concurrent derivations its own correct key', async () => {
    const password = Buffer.from('slots password');
    const salts = Array.from({ length: 9 }, () => randomBytes(16));
    const keys = await Promise.all(salts.map((salt, i) => deriveAes256Key(password, salt, 2000 + i)));
    keys.forEach((key, i) => expect(key).toEqual(pbkdf2Sync(password, salts[i]!, 2000 + i, 32, 'sha256')));
  });

  it('a derivation that fails frees its turn: the ones queued behind it finish', async () => {
    const password = Buffer.from('slots password');
    const salt = randomBytes(16);
    const bad = Array.from({ length: 4 }, () => deriveAes256Key(password, salt, -1));
    const good = Array.from({ length: 4 }, (_, i) => deriveAes256Key(password, salt, 1000 + i));
    for (const p of bad) await expect(p).rejects.toThrow();
    expect(await Promise.all(good)).toEqual([0, 1, 2, 3].map((i) => pbkdf2Sync(password, salt, 1000 + i, 32, 'sha256')));
  });
});
