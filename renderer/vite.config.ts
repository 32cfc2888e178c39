import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('.', import.meta.url));

// The renderer runs under `default-src 'none'; script-src 'self'; style-src 'self'`: the built
// HTML must reference files only (no inline script or style), and Svelte's component styles
// must be emitted as CSS files (emitCss → compiler option css: 'external'), never injected.
export default defineConfig(({ mode }) => ({
  root,
  base: './',
  plugins: [
    svelte({
      configFile: false,
      emitCss: true,
      compilerOptions: { css: 'external', dev: mode !== 'production' },
    }),
  ],
  build: {
    outDir: fileURLToPath(new URL('../dist/renderer', import.meta.url)),
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2023',
    // Chromium (Electron) supports modulepreload natively; the polyfill would only add bytes.
    modulePreload: { polyfill: false },
    // Nothing may become a data: URL font or an inline blob; keep assets as files.
    assetsInlineLimit: 0,
    cssCodeSplit: false,
    reportCompressedSize: true,
  },
  server: { strictPort: false },
}));
