// Which files of the project go into app.asar: the config's `files` globs evaluated with
// electron-builder's own matcher (FileMatcher + minimatch, as `electron-builder` runs them),
// against a tree laid out like a real build with traps in it, and against this repository.
// (test/installer/package.test.ts runs electron-builder itself, node_modules included.)
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Configuration } from 'electron-builder';
import { FORBIDDEN_APP_FILES, checkAppFiles } from '../../scripts/installer/verify-package.mjs';
import { ROOT } from './helpers.js';

const require = createRequire(import.meta.url);
const { FileMatcher } = require(join(ROOT, 'node_modules/app-builder-lib/out/fileMatcher.js')) as {
  FileMatcher: new (from: string, to: string, expand: (s: string) => string, patterns: string[]) => {
    createFilter(): (file: string, stat: Stats) => boolean;
  };
};

let files: string[];
beforeAll(async () => {
  const config = (await import(pathToFileURL(join(ROOT, 'electron-builder.config.mjs')).href)) as { default: Configuration };
  files = config.default.files as string[];
});

/** Files of `dir` (relative, "/"-separated) that electron-builder would pack, node_modules aside. */
function packed(dir: string): string[] {
  // electron-builder adds package.json itself when the patterns do not name it
  const filter = new FileMatcher(dir, '/app', (s) => s, [...files, 'package.json']).createFilter();
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (!filter(p, st)) continue;
      if (st.isDirectory()) {
        if (name === 'node_modules' || name === '.git') continue; // packed separately / never
        walk(p);
      } else out.push(relative(dir, p).split(sep).join('/'));
    }
  };
  walk(dir);
  return out.sort();
}

describe('the files globs on a tree laid out like a build, with traps', () => {
  let dir: string;
  const tree = [
    // what must ship
    'package.json',
    'dist/electron/main.js',
    'dist/electron/main/app.js',
    'dist/electron/preload.cjs',
    'dist/core/cli/main.js',
    'dist/core/store/store.js',
    'dist/renderer/index.html',
    'dist/renderer/assets/index-4f2a.js',
    'dist/renderer/assets/index-4f2a.css',
    // traps: sources, maps, tests, the bridge, secrets, tooling
    'dist/electron/main.js.map',
    'dist/renderer/assets/index-4f2a.js.map',
    'dist/core/cli/main.d.ts',
    'dist/core/cli/main.d.ts.map',
    'dist/test/bridge/bridge.js',
    'dist/electron/bridge/server.js',
    'dist/core/store/test/fixture.js',
    'dist/core/fixtures/server.pem',
    'dist/core/fixtures/backup.p12',
    'dist/renderer/.env',
    'dist/launcher/x64/certificatemanager.exe',
    'dist/tsconfig.build.tsbuildinfo',
    'test/bridge/bridge.ts',
    'test/bridge/bridge-client.ts',
    'core/cli/main.ts',
    'electron/main.ts',
    'renderer/App.svelte',
    'scripts/installer/pe.mjs',
    'bin/certificatemanager.js',
    'bench/run.mjs',
    'docs/installer.md',
    'build/icon.png',
    '.env',
    'release/win-unpacked/CertificateManager.exe',
    'electron-builder.config.mjs',
    'tsconfig.json',
    'package-lock.json',
  ];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'cm-files-'));
    for (const f of tree) {
      mkdirSync(dirname(join(dir, f)), { recursive: true });
      writeFileSync(join(dir, f), f.endsWith('.json') ? '{}' : 'x');
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('packs exactly the compiled app and package.json', () => {
    expect(packed(dir)).toEqual([
      'dist/core/cli/main.js',
      'dist/core/store/store.js',
      'dist/electron/main.js',
      'dist/electron/main/app.js',
      'dist/electron/preload.cjs',
      'dist/renderer/assets/index-4f2a.css',
      'dist/renderer/assets/index-4f2a.js',
      'dist/renderer/index.html',
      'package.json',
    ]);
  });

  it('agrees with the package check (checkAppFiles) about every trap', () => {
    const pkg = { main: 'dist/electron/main.js', dependencies: { zod: '1' }, devDependencies: { vitest: '1', electron: '1' } };
    expect(checkAppFiles(packed(dir), pkg)).toEqual([]);
    const problems = checkAppFiles(tree, pkg).join('\n');
    for (const trap of ['main.js.map', 'dist/test/bridge/bridge.js', 'dist/electron/bridge/server.js', 'test/bridge/bridge.ts', 'server.pem', 'backup.p12', 'dist/renderer/.env', 'main.d.ts', 'tsbuildinfo', 'dist/launcher/x64']) {
      expect(problems).toContain(trap);
    }
    expect(checkAppFiles(['package.json', 'dist/electron/main.js', 'dist/electron/preload.cjs', 'dist/renderer/index.html', 'node_modules/vitest/index.js', 'node_modules/zod/index.js'], pkg)).toEqual([
      'app.asar: development dependency packed: vitest',
    ]);
    expect(checkAppFiles(['package.json'], pkg)).toEqual([
      'app.asar: missing dist/electron/main.js',
      'app.asar: missing dist/electron/preload.cjs',
      'app.asar: missing dist/renderer/index.html',
    ]);
  });
});

describe('the files globs on this repository', () => {
  it('packs nothing but dist/{electron,core,renderer} and package.json, and nothing forbidden', () => {
    const list = packed(ROOT);
    expect(list).toContain('package.json');
    for (const f of list) {
      expect(f, f).toMatch(/^(package\.json|dist\/(electron|core|renderer)\/.+)$/);
      for (const { pattern, why } of FORBIDDEN_APP_FILES) expect(pattern.test(f), `${f}: ${why}`).toBe(false);
    }
  });
});
