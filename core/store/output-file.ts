/**
 * Where the admin asks for a file to be written (-b, -e, -l and their dialogs): a file name
 * (not a folder) in a folder that exists, and never inside the store itself (overwriting
 * CURRENT or a generation would damage it; its backups/ folder is the one exception).
 */
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { badInput } from '../errors.js';

export async function resolveOutputFile(dataDir: string, path: string, exampleName: string): Promise<string> {
  const target = resolve(path);
  if ((await stat(target).catch(() => null))?.isDirectory())
    throw badInput('OUTPUT_IS_FOLDER', `${target} is a folder. Give a file name, for example ${join(target, exampleName)}.`);
  const folder = dirname(target);
  if (!(await stat(folder).catch(() => null))?.isDirectory())
    throw badInput('OUTPUT_FOLDER_MISSING', `The folder ${folder} does not exist. Create it or choose another destination.`, { folder });
  const rel = relative(resolve(dataDir), target);
  const inside = rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
  if (inside && !rel.startsWith(`backups${sep}`))
    throw badInput('OUTPUT_IN_STORE', `${target} is inside the certificate store. Choose a destination outside ${dataDir}.`);
  return target;
}
