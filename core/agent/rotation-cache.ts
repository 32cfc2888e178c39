/**
 * followRotations is a pure function of (trusted certificate, version, replaced list,
 * statements). Agents that run in one process (the fleet simulator) and hold the same trust
 * walk the same chain: this cache lets them pay for the walk's X.509 parsing and signature
 * checks once. A single agent gains nothing from it and does not use it. Only successful walks
 * are kept; a refused chain is verified again (and refused again) by every agent.
 */
import { createHash } from 'node:crypto';
import { followRotations, type TrustState } from '../trust/index.js';

type Walk = Pick<TrustState, 'version' | 'certificate' | 'fingerprintSha256' | 'replaced'>;

export class RotationCache {
  private readonly walks = new Map<string, Promise<Walk>>();

  constructor(private readonly maxEntries = 256) {}

  async follow(state: TrustState, statements: readonly string[]): Promise<TrustState> {
    const digest = createHash('sha256');
    for (const s of statements) digest.update(s).update('\n');
    const key = `${state.fingerprintSha256}|${state.version}|${state.replaced.join(',')}|${digest.digest('hex')}`;
    let walk = this.walks.get(key);
    if (!walk) {
      walk = followRotations(state, statements).then(({ version, certificate, fingerprintSha256, replaced }) => ({ version, certificate, fingerprintSha256, replaced }));
      if (this.walks.size >= this.maxEntries) this.walks.delete(this.walks.keys().next().value!);
      this.walks.set(key, walk);
      walk.catch(() => this.walks.delete(key));
    }
    const result = await walk;
    return result.version === state.version ? state : { ...state, ...result };
  }
}
