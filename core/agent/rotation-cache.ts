/**
 * A chain walk is a pure function of (trusted certificate, version, replaced list,
 * statements). Agents that run in one process (the fleet simulator) and hold the same trust
 * walk the same chain: this cache lets them pay for the walk's X.509 parsing and signature
 * checks once. A single agent gains nothing from it and does not use it. Only successful walks
 * are kept; a refused chain is verified again (and refused again) by every agent. The trust
 * state itself is still made by core/trust (TrustState.rotate), which hands this cache the walk.
 */
import { createHash } from 'node:crypto';
import type { TrustState, Walk, WalkCache } from '../trust/index.js';

export class RotationCache implements WalkCache {
  private readonly walks = new Map<string, Promise<Walk>>();

  constructor(private readonly maxEntries = 256) {}

  walk(from: TrustState, statements: readonly string[], compute: () => Promise<Walk>): Promise<Walk> {
    const digest = createHash('sha256');
    for (const s of statements) digest.update(s).update('\n');
    const key = `${from.fingerprintSha256}|${from.version}|${from.replaced.join(',')}|${digest.digest('hex')}`;
    let walk = this.walks.get(key);
    if (!walk) {
      walk = compute();
      if (this.walks.size >= this.maxEntries) this.walks.delete(this.walks.keys().next().value!);
      this.walks.set(key, walk);
      walk.catch(() => this.walks.delete(key));
    }
    return walk;
  }
}
