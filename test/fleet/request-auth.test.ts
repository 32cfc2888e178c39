/**
 * The server's request check (core/protocol/request-auth.ts) with real Ed25519 keys: one agent's
 * flood is limited to that agent, and the limit lifts when its requests leave the window.
 */
import { describe, expect, it } from 'vitest';
import { createPrivateKey } from 'node:crypto';
import { AgentKey, MAX_CLOCK_SKEW_MS, RequestAuthenticator, generateAgentKey } from '../../core/protocol/request-auth.js';
import { newNonce, requestSha256 } from '../../core/protocol/wire.js';

const PATH = '/api/v1/check-in';

function request(key: AgentKey, now: Date) {
  const body = JSON.stringify({ agentId: key.agentId, nonce: newNonce(), sentAt: now.toISOString() });
  const { agentId, nonce, sentAt } = JSON.parse(body) as { agentId: string; nonce: string; sentAt: string };
  const bodySha256 = requestSha256(body);
  return { headers: key.headers('POST', PATH, bodySha256), method: 'POST', path: PATH, bodySha256, agentId, nonce, sentAt, now };
}

describe('RequestAuthenticator', () => {
  it("one agent's requests beyond its limit are refused for it alone, until they leave the window", () => {
    const auth = new RequestAuthenticator(5);
    const flooder = new AgentKey(createPrivateKey(generateAgentKey()));
    const other = new AgentKey(createPrivateKey(generateAgentKey()));
    const now = new Date('2030-01-01T00:00:00Z');
    for (let i = 0; i < 5; i++) expect(auth.check(request(flooder, now))).toBeNull();
    expect(auth.check(request(flooder, now))).toMatchObject({ code: 'AGENT_TOO_BUSY' });
    expect(auth.check(request(other, now))).toBeNull();
    const later = new Date(now.getTime() + 2 * MAX_CLOCK_SKEW_MS + 1);
    expect(auth.check(request(flooder, later))).toBeNull();
  });

  it('a replayed request is refused, and so is one signed by another key than the id', () => {
    const auth = new RequestAuthenticator();
    const key = new AgentKey(createPrivateKey(generateAgentKey()));
    const now = new Date();
    const r = request(key, now);
    expect(auth.check(r)).toBeNull();
    expect(auth.check(r)).toMatchObject({ code: 'REPLAYED' });
    const thief = new AgentKey(createPrivateKey(generateAgentKey()));
    expect(auth.check({ ...request(thief, now), agentId: key.agentId })).toMatchObject({ code: 'WRONG_AGENT' });
  });
});
