#!/usr/bin/env node
// Fails (exit 1) on an export nothing else uses: every `export const|function|class|interface|
// type|enum Name` in core/, electron/ and renderer/src must be named in some other file of the
// project (source, Svelte components, tests, benchmarks, scripts). An export used only in its
// own file should not be exported; one used nowhere is dead code. Part of `npm run lint`.
//
// A name counts as used wherever it appears as a whole word in another file, so this errs on
// the side of passing (a name that is also a common word may hide a dead export); it never fails
// on a used one.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const SKIP = new Set(['node_modules', 'dist', 'release', '.git', 'test-results']);

function walk(dir, keep) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(path, keep));
    else if (keep(entry.name)) out.push(path);
  }
  return out;
}

const isSource = (name) => name.endsWith('.ts') && !name.endsWith('.d.ts');
const checked = ['core', 'electron', join('renderer', 'src')].flatMap((dir) => walk(join(root, dir), isSource));
const readers = [
  ...checked,
  ...walk(join(root, 'renderer', 'src'), (n) => n.endsWith('.svelte')),
  ...['test', 'bench', 'scripts'].flatMap((dir) => walk(join(root, dir), (n) => /\.(ts|mjs|js|cjs)$/.test(n))),
];
const text = new Map(readers.map((file) => [file, readFileSync(file, 'utf8')]));

const EXPORT = /^export\s+(?:declare\s+)?(?:async\s+)?(?:abstract\s+)?(?:const|let|function\*?|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/gm;
const problems = [];
for (const file of checked) {
  for (const match of text.get(file).matchAll(EXPORT)) {
    const name = match[1];
    const word = new RegExp(`(?<![\\w$])${name.replace(/\$/g, '\\$')}(?![\\w$])`);
    let used = false;
    for (const [other, body] of text) {
      if (other !== file && word.test(body)) {
        used = true;
        break;
      }
    }
    if (!used) problems.push(`${relative(root, file)}: ${name} is exported but no other file uses it (drop the export, or the code if it is dead)`);
  }
}
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`${problems.length} unused export${problems.length === 1 ? '' : 's'}.`);
  process.exit(1);
}
console.log(`Exports: every one of ${checked.length} source files' exports is used elsewhere.`);
