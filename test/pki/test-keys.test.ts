/**
 * The suite's own RSA keys (test/helpers/test-keys.ts) stand in for key generation in most
 * tests, so they must be keys OpenSSL accepts in every respect, each one different. And the
 * product's operations must still make their own keys when no test hands them one.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { constants, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { newPrivateKeyFor } from '../../core/ops/context.js';
import { testPrivateKey } from '../helpers/test-keys.js';

const spki = (key: KeyObject) => createPublicKey(key).export({ type: 'spki', format: 'der' }).toString('base64');

/** `openssl pkey -check`: p and q prime, n = p·q, d·e ≡ 1, and the CRT values right. */
function opensslChecks(key: KeyObject): string {
  const dir = mkdtempSync(join(tmpdir(), 'cm-test-keys-'));
  try {
    const file = join(dir, 'key.pem');
    writeFileSync(file, key.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    return execFileSync('openssl', ['pkey', '-in', file, '-check', '-noout'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('test keys', () => {
  it('are RSA keys of the size asked for, e = 65537, each different from the others', () => {
    const keys = Array.from({ length: 60 }, () => testPrivateKey(2048));
    for (const key of keys) {
      expect(key.asymmetricKeyType).toBe('rsa');
      expect(key.asymmetricKeyDetails).toMatchObject({ modulusLength: 2048, publicExponent: 65537n });
    }
    expect(new Set(keys.map(spki)).size).toBe(keys.length);
    expect(testPrivateKey(3072).asymmetricKeyDetails?.modulusLength).toBe(3072);
  });

  it('pass OpenSSL\'s own key check and sign with PKCS#1 v1.5 and PSS', () => {
    for (const key of [testPrivateKey(2048), testPrivateKey(2048), testPrivateKey(3072)]) {
      expect(opensslChecks(key)).toMatch(/valid/i);
      const message = Buffer.from('a feed index');
      expect(verify('sha256', message, createPublicKey(key), sign('sha256', message, key))).toBe(true);
      const pss = { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 };
      expect(verify('sha256', message, { ...pss, key: createPublicKey(key) }, sign('sha256', message, pss))).toBe(true);
    }
  });
});

describe('an operation with no key source (the app and the command)', () => {
  it('generates a fresh key of the size asked for', async () => {
    const a = await newPrivateKeyFor({ dataDir: '' }, 2048);
    const b = await newPrivateKeyFor({ dataDir: '' }, 2048);
    expect(a.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(spki(a)).not.toBe(spki(b));
  });

  it('refuses an unsupported size before any source is asked', async () => {
    let asked = false;
    const source = async () => ((asked = true), testPrivateKey(1024));
    await expect(newPrivateKeyFor({ dataDir: '', newPrivateKey: source }, 1024 as 2048)).rejects.toMatchObject({ code: 'BAD_KEY_SIZE' });
    expect(asked).toBe(false);
  });
});
