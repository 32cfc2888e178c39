#!/usr/bin/env node
// "Try it in a browser": serves the built renderer (dist/renderer) and the real core through the
// TEST-ONLY loopback bridge (test/bridge/bridge.ts), prints the URL, and runs until Ctrl+C.
// It builds nothing: run `npm run build` first (without dist/renderer a placeholder page is
// served, and window.certificateManager still works from the browser console).
//
//   node scripts/demo.mjs [--data-dir <dir>] [--port <n>] [--open <file>]...
//
// --data-dir  the store to use (default: a new temp folder, so your real store is never touched)
// --open      answers for "Browse…" (open dialogs), in order; without one the dialog is cancelled.
//             Save dialogs answer a fresh path in a temp folder.
//
// The bridge is TypeScript under test/; it is loaded with Vite's module runner (vite is a
// devDependency), the same transform Vitest uses, so plain `node` can run this script.
import { runnerImport } from 'vite';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parse(argv) {
  const options = { dataDir: undefined, port: 0, open: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${arg} needs a value`);
      return v;
    };
    if (arg === '--data-dir') options.dataDir = path.resolve(value());
    else if (arg === '--port') options.port = Number(value());
    else if (arg === '--open') options.open.push(path.resolve(value()));
    else if (arg === '--help' || arg === '-h') {
      console.log('node scripts/demo.mjs [--data-dir <dir>] [--port <n>] [--open <file>]...');
      process.exit(0);
    } else throw new Error(`unknown option ${arg}`);
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) throw new Error('--port must be 0..65535');
  return options;
}

let options;
try {
  options = parse(process.argv.slice(2));
} catch (error) {
  console.error(`demo: ${error.message}`);
  process.exit(2);
}

const dataDir = options.dataDir ?? (await mkdtemp(path.join(os.tmpdir(), 'certificatemanager-demo-')));
const { module: bridgeModule } = await runnerImport(path.join(root, 'test', 'bridge', 'bridge.ts'), { configFile: false, logLevel: 'error', root });
const bridge = await bridgeModule.startBridge({ dataDir, port: options.port, dialogAnswers: { open: options.open } });

console.log(`CertificateManager demo (test bridge, not the app)`);
console.log(`  data dir: ${dataDir}`);
console.log(`  open:     ${bridge.pageUrl}`);
console.log('Ctrl+C to stop.');

let closing = false;
const stop = async () => {
  if (closing) return;
  closing = true;
  await bridge.close();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
