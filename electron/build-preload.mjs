#!/usr/bin/env node
// Builds the preload (electron/preload/preload.ts) into ONE CommonJS file,
// dist/electron/preload.cjs: sandboxed preloads cannot be ES modules and may require only a
// few modules, so everything but `electron` is bundled in (and the preload imports nothing else
// at run time: no zod, no core). The contract's names are compiled in (preload/contract-names.mjs). Uses Vite's library mode (a devDependency already).
//
//   node electron/build-preload.mjs [--out-dir <dir>]
import { build } from 'vite';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { contractNamesDefine } from './preload/contract-names.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** @param {{ outDir?: string }} [options] @returns {Promise<string>} the path of preload.cjs */
export async function buildPreload(options = {}) {
  const outDir = path.resolve(repoRoot, options.outDir ?? 'dist/electron');
  await build({
    configFile: false,
    root: repoRoot,
    logLevel: 'warn',
    publicDir: false,
    // The operation and event names the preload exposes, taken from the contract itself.
    define: await contractNamesDefine(repoRoot),
    build: {
      outDir,
      emptyOutDir: false,
      copyPublicDir: false,
      minify: false,
      sourcemap: false,
      reportCompressedSize: false,
      // The preload runs in Electron 45's renderer (Chromium 140).
      target: 'chrome140',
      lib: {
        entry: path.join(repoRoot, 'electron/preload/preload.ts'),
        formats: ['cjs'],
        fileName: () => 'preload.cjs',
      },
      rollupOptions: {
        external: ['electron'],
        output: { exports: 'none' },
      },
    },
  });
  return path.join(outDir, 'preload.cjs');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const i = process.argv.indexOf('--out-dir');
  const file = await buildPreload(i > 0 ? { outDir: process.argv[i + 1] } : {});
  console.log(`preload built: ${path.relative(process.cwd(), file)}`);
}
