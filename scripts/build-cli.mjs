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
  // Inline only zod (pure ES modules, loaded by every command that reads the store); the rest
  // stay external: Fastify, archiver and the agent's packages load only for their commands.
  ssr: { noExternal: ['zod'] },
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
