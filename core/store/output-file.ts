/**
 * Where the admin asks for a file to be written (-b, -e, -l and their dialogs): a file name
 * (not a folder) in a folder that exists, and never inside the store itself (overwriting
 * CURRENT or a generation would damage it; its backups/ folder is the one exception).
 *
 * "Inside" is decided on real paths: a symlink, a junction or a bind of the store's folder
 * (or of a folder above it) is the store too. The file itself is replaced by a rename, which
 * replaces a link of that name rather than writing through it.
 */
import { realpath, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { badInput } from '../errors.js';

/** The real path of `path`, or of its nearest existing parent with the rest appended. */
async function realPathOf(path: string): Promise<string> {
  const real = await realpath(path).catch(() => null);
  if (real !== null) return real;
  const parent = dirname(path);
  if (parent === path) return path;
  return join(await realPathOf(parent), basename(path));
}

export async function resolveOutputFile(dataDir: string, path: string, exampleName: string): Promise<string> {
  const target = resolve(path);
  if ((await stat(target).catch(() => null))?.isDirectory())
    throw badInput('OUTPUT_IS_FOLDER', `${target} is a folder. Give a file name, for example ${join(target, exampleName)}.`);
  const folder = dirname(target);
  if (!(await stat(folder).catch(() => null))?.isDirectory())
    throw badInput('OUTPUT_FOLDER_MISSING', `The folder ${folder} does not exist. Create it or choose another destination.`, { folder });
  const store = await realPathOf(resolve(dataDir));
  const written = join(await realpath(folder), basename(target));
  const rel = relative(store, written);
  const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  if (inside && !(rel.startsWith(`backups${sep}`) && !rel.slice(`backups${sep}`.length).includes(sep)))
    throw badInput('OUTPUT_IN_STORE', `${target} is inside the certificate store${written === target ? '' : ` (it is ${written})`}. Choose a destination outside ${dataDir}.`);
  return target;
}
