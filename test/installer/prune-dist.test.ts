/**
 * scripts/prune-dist.mjs: a compiled module whose source was deleted must not stay in dist/ to be
 * packed into the app; everything with a source stays.
 */
import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

describe('prune-dist', () => {
  it('removes dist/core files with no source and keeps the others', () => {
    const folder = join('dist', 'core', 'prune-dist-test');
    mkdirSync(folder, { recursive: true });
    const stale = join(folder, 'gone.js');
    const notTscs = join(folder, 'built-elsewhere.cjs'); // as dist/electron/preload.cjs is
    writeFileSync(stale, 'export {};\n');
    writeFileSync(notTscs, 'module.exports = {};\n');
    try {
      const out = execFileSync(process.execPath, ['scripts/prune-dist.mjs'], { encoding: 'utf8' });
      expect(out).toContain('prune-dist-test/gone.js');
      expect(existsSync(stale)).toBe(false);
      expect(existsSync(notTscs)).toBe(true);
      for (const kept of ['dist/core/backup/zip.js', 'dist/core/cli/main.js', 'dist/electron/main/app.js']) expect(existsSync(kept), kept).toBe(true);
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
