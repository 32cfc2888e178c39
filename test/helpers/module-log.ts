/**
 * A module-resolution hook for tests that hold a process to the modules it loads: preloaded
 * with `node --import <returned URL>`, it appends every resolved URL to the file named by the
 * CM_MODULE_LOG environment variable (hooks run on Node's loader thread, so the file is how
 * they report).
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
  appendFileSync(process.env.CM_MODULE_LOG, result.url + '\\n');
  return result;
}
`,
  );
  writeFileSync(join(dir, 'register.mjs'), `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(join(dir, 'hooks.mjs')).href)});\n`);
  return pathToFileURL(join(dir, 'register.mjs')).href;
}
