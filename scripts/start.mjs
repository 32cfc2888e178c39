#!/usr/bin/env node
// `npm start`: the desktop app where Electron's binary is installed; otherwise (offline
// machines install with ELECTRON_SKIP_BINARY_DOWNLOAD=1) the same screens in a browser through
// the test-only bridge, against the real core and a temporary data folder.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Where electron/index.js would find its binary, without requiring it (that downloads). */
function electronBinary() {
  try {
    const dir = path.dirname(createRequire(import.meta.url).resolve('electron/package.json'));
    const pathFile = path.join(dir, 'path.txt');
    if (!existsSync(pathFile)) return null;
    const binary = path.join(dir, 'dist', readFileSync(pathFile, 'utf8').trim());
    return existsSync(binary) ? binary : null;
  } catch {
    return null;
  }
}

const binary = electronBinary();
const args = process.argv.slice(2);
if (binary) {
  const child = spawn(binary, [root, ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
} else {
  console.log("Electron's binary is not installed here (ELECTRON_SKIP_BINARY_DOWNLOAD), so the app's");
  console.log('screens are served in your browser instead, against the real core (not the packaged app).\n');
  const child = spawn(process.execPath, [path.join(root, 'scripts', 'demo.mjs'), ...args], { stdio: 'inherit' });
  child.on('exit', (code) => process.exit(code ?? 0));
}
