/**
 * A module-resolution hook for tests that hold a process to the modules it loads: preloaded
 * with `node --import <returned URL>`, it appends "import <url>" for every module import
 * resolved to the file named by the CM_MODULE_LOG environment variable (hooks run on Node's
 * loader thread, so the file is how they report), and at exit "require <url>" for every
 * CommonJS file in require's cache.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export function writeModuleLogHook(dir: string): string {
  writeFileSync(
    join(dir, 'hooks.mjs'),
    `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.CM_MODULE_LOG, 'import ' + result.url + '\\n');
  return result;
}
`,
  );
  // The hook sees what import loads; CommonJS that our code require()s (core/pki/forge.ts) is
  // read from require's cache when the process exits.
  writeFileSync(
    join(dir, 'register.mjs'),
    `import { appendFileSync } from 'node:fs';
import { createRequire, register } from 'node:module';
import { pathToFileURL } from 'node:url';
register(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});
const required = createRequire(import.meta.url).cache;
process.on('exit', () => {
  const lines = Object.keys(required).map((file) => 'require ' + pathToFileURL(file).href + '\\n');
  appendFileSync(process.env.CM_MODULE_LOG, lines.join(''));
});
`,
  );
  return pathToFileURL(join(dir, 'register.mjs')).href;
}
