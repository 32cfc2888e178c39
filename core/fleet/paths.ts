/**
 * Where the fleet's data lives inside the data directory:
 *
 *   <data-dir>/fleet/
 *     agents.json            every agent's last check-in (replaced atomically, debounced)
 *     auth-failures.ndjson   uploaded auth-failure records, one JSON object per line (append-only)
 *     sequence.json          high-water mark of the signing counter (never goes down)
 *     sequence.json.lock     held while a block of sequence numbers is reserved
 *     serve.lock             held by the one `serve` that owns agents.json and the log
 *     notices.json           optional: notices the admin wants in the feed
 *     hotfixes.json          optional: hotfixes to publish, files under hotfixes/
 *     hotfixes/
 */
import { join } from 'node:path';

export const fleetPaths = (dataDir: string) => {
  const dir = join(dataDir, 'fleet');
  return {
    dir,
    agents: join(dir, 'agents.json'),
    authFailures: join(dir, 'auth-failures.ndjson'),
    sequence: join(dir, 'sequence.json'),
    serveLock: join(dir, 'serve.lock'),
    notices: join(dir, 'notices.json'),
    hotfixes: join(dir, 'hotfixes.json'),
    hotfixFiles: join(dir, 'hotfixes'),
  };
};
