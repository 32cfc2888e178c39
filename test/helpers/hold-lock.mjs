// Another process holding the store's inter-process lock (the same code every
// certificatemanager uses) until its standard input closes. Prints "locked" once held.
import { withStoreLock } from '../../dist/core/store/lock.js';

const dataDir = process.argv[2];
await withStoreLock(dataDir, async () => {
  process.stdout.write('locked\n');
  await new Promise((resolve) => {
    process.stdin.on('end', resolve);
    process.stdin.resume();
  });
});
