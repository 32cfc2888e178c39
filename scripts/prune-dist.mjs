#!/usr/bin/env node
// Removes compiled files whose TypeScript source is gone. tsc writes what exists and never
// deletes: a module removed from core/ (say core/backup/zip-precheck.ts) would otherwise stay in
// dist/core/ from an earlier build and be packed into the app by `npm run dist:win`. Only .js
// files that tsc emits from core/ and electron/ are considered (dist/electron/preload.cjs comes
// from electron/build-preload.mjs and is kept). Run after tsc, as `npm run build:core` does.
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const removed = [];
function prune(dir) {
  if (!existsSync(dir)) return;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) prune(path);
    else if (entry.name.endsWith('.js')) {
      const source = join(root, relative(join(root, 'dist'), path)).replace(/\.js$/, '.ts');
      if (!existsSync(source)) {
        rmSync(path);
        removed.push(relative(root, path));
      }
    }
  }
}
for (const top of ['core', 'electron']) prune(join(root, 'dist', top));
if (removed.length) console.log(`prune-dist: removed ${removed.length} stale file(s): ${removed.join(', ')}`);
