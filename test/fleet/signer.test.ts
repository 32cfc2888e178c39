/**
 * The server's fast signer for API answers makes exactly what signMessage makes: core/trust's
 * verifier and jose accept it, the header is byte for byte the same, and it refuses what
 * signMessage refuses.
 */
import { describe, expect, it } from 'vitest';
import { createPublicKey } from 'node:crypto';
import { compactVerify } from 'jose';
import { MessageSigner } from '../../core/fleet/index.js';
import { createTrustState, signMessage, verifyMessage } from '../../core/trust/index.js';
import { makeIdentity } from '../agent/kit.js';

describe('MessageSigner', () => {
  const id = makeIdentity('server');
  const signer = new MessageSigner(id);
  const now = new Date('2030-01-01T00:00:00Z');

  it('signs what verifyMessage and jose accept, with signMessage header', async () => {
    const input = { kind: 'endpoint-response' as const, seq: 42, payload: { type: 'check-in', text: '日本語' }, now, ttlSeconds: 300 };
    const fast = await signer.sign(input);
    const reference = await signMessage(id, input);
    expect(fast.split('.')[0]).toBe(reference.split('.')[0]);
    expect(fast.split('.')[1]).toBe(reference.split('.')[1]);
    const verified = await verifyMessage(fast, createTrustState(id.certificate), { now });
    expect(verified).toMatchObject({ kind: 'endpoint-response', seq: 42, exp: verified.iat + 300, body: input.payload });
    await compactVerify(fast, createPublicKey(id.privateKey), { algorithms: ['PS256'] });
  });

  it('refuses what signMessage refuses', async () => {
    for (const bad of [
      { kind: 'hotfix-manifest' as const, seq: 1, payload: { name: 'x' } },
      { kind: 'settings' as const, seq: -1, payload: {} },
      { kind: 'settings' as const, seq: 1, payload: {}, ttlSeconds: 0 },
      { kind: 'settings' as const, seq: 1, payload: { big: 'x'.repeat(2_000_000) } },
    ]) {
      await expect(signMessage(id, bad)).rejects.toMatchObject({ kind: 'bad-input' });
      await expect(signer.sign(bad)).rejects.toMatchObject({ kind: 'bad-input' });
    }
  });

  it('checks the key against its certificate once, when made', () => {
    const other = makeIdentity('other');
    expect(() => new MessageSigner({ privateKey: other.privateKey, certificate: id.certificate })).toThrow(/does not belong/);
  });
});
