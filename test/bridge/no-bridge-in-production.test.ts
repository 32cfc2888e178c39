// The test bridge must never ship: nothing built for production (dist/electron, dist/renderer)
// may contain it, the renderer may not mention ipcRenderer or import Node built-ins, and the
// app's sources may not import anything from test/.
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const DIST_ELECTRON = path.join(repoRoot, 'dist', 'electron');
const DIST_RENDERER = process.env.CM_TEST_RENDERER_DIR ?? path.join(repoRoot, 'dist', 'renderer');
const BRIDGE_MARKERS = ['__bridge-client', 'startBridge', 'data-bridge-token'];

async function filesUnder(dir: string, extensions: readonly string[]): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && extensions.some((ext) => e.name.endsWith(ext)))
    .map((e) => path.join(e.parentPath, e.name));
}

async function findMarkers(dir: string, markers: readonly string[], extensions: readonly string[]) {
  const hits: string[] = [];
  for (const file of await filesUnder(dir, extensions)) {
    const text = await readFile(file, 'utf8');
    for (const marker of markers) if (text.includes(marker)) hits.push(`${path.relative(repoRoot, file)}: ${marker}`);
  }
  return hits;
}

const NODE_BUILTINS = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
/** Module specifiers of static imports, dynamic imports and require() calls in (possibly minified) JS. */
function importedSpecifiers(code: string): string[] {
  const patterns = [/\bfrom\s*["'`]([^"'`]+)["'`]/g, /\bimport\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g, /\brequire\s*\(\s*["'`]([^"'`]+)["'`]\s*\)/g, /\bimport\s*["'`]([^"'`]+)["'`]/g];
  return patterns.flatMap((re) => [...code.matchAll(re)].map((m) => m[1]!));
}

describe('no bridge in production output', () => {
  it('the app’s sources never import from test/', async () => {
    const offenders: string[] = [];
    for (const file of await filesUnder(path.join(repoRoot, 'electron'), ['.ts', '.mjs', '.js', '.cjs'])) {
      for (const spec of importedSpecifiers(await readFile(file, 'utf8'))) {
        if (/(^|\/)test\//.test(spec)) offenders.push(`${path.relative(repoRoot, file)} imports ${spec}`);
      }
    }
    expect(offenders).toEqual([]);
  });

  it.skipIf(!existsSync(DIST_ELECTRON))('dist/electron contains no bridge code', async () => {
    expect(await findMarkers(DIST_ELECTRON, BRIDGE_MARKERS, ['.js', '.cjs', '.mjs', '.html'])).toEqual([]);
  });

  it.skipIf(!existsSync(path.join(DIST_RENDERER, 'index.html')))('dist/renderer contains no bridge code, no ipcRenderer and no Node built-in imports', async () => {
    expect(await findMarkers(DIST_RENDERER, [...BRIDGE_MARKERS, 'ipcRenderer'], ['.js', '.mjs', '.cjs', '.html', '.css'])).toEqual([]);
    const builtins: string[] = [];
    for (const file of await filesUnder(DIST_RENDERER, ['.js', '.mjs', '.cjs', '.html'])) {
      for (const spec of importedSpecifiers(await readFile(file, 'utf8'))) {
        if (NODE_BUILTINS.has(spec)) builtins.push(`${path.relative(repoRoot, file)} imports ${spec}`);
      }
    }
    expect(builtins).toEqual([]);
  });

  it('the specifier scanner finds what it must', () => {
    expect(importedSpecifiers(`import a from "node:fs";const b=require('path');import('os');import"x";export{c}from'child_process'`).sort()).toEqual(
      ['child_process', 'node:fs', 'os', 'path', 'x'].sort(),
    );
  });
});
