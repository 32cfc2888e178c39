#!/usr/bin/env node
// Bundles the `certificatemanager` command (bin/) from the compiled dist/core/cli/main.js into
// dist/cli/, one chunk per command. Admins run one process per command, and Node 20 spends
// more time finding and linking ~150 small ES modules (zod alone is ~80) than running
// `status`: one file per command halves start-up. Packages the bundle would change are left
// as they are (loaded from node_modules, only by the commands that use them). Run after tsc.
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';

const root = fileURLToPath(new URL('..', import.meta.url));
const outDir = fileURLToPath(new URL('../dist/cli', import.meta.url));
rmSync(outDir, { recursive: true, force: true });
await build({
  root,
  configFile: false,
  logLevel: 'warn',
  // Inline the dependencies too: zod's ~80 modules (loaded file by file, they cost more than
  // `status` itself). Each still loads only in the chunk of the command that uses it. Fastify
  // stays an ordinary import (only `serve` loads it, and it resolves its plugins at run time). node-forge too: the codec imports only its lib/ parts, which attach
  // to one shared `forge` object; a bundler that splits them into chunks gives each chunk its
  // own copy, and RC2 (old .pfx files) then fails.
  ssr: { noExternal: true, external: ['fastify', 'node-forge'] },
  build: {
    ssr: fileURLToPath(new URL('../dist/core/cli/main.js', import.meta.url)),
    outDir,
    emptyOutDir: true,
    target: 'node20',
    minify: false,
    sourcemap: false,
    copyPublicDir: false,
    rollupOptions: { output: { format: 'esm', entryFileNames: 'main.js', chunkFileNames: '[name]-[hash].js' } },
  },
});
