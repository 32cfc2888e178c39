/** `-e <out>`: the public certificate (DER) that agents trust, for a manual fix of an agent. */
import { resolve, dirname, join } from 'node:path';
import { assertOutsideStore } from '../backup/write.js';
import { stat } from 'node:fs/promises';
import { badInput } from '../errors.js';
import { replaceFileAtomically } from '../store/durable-fs.js';
import { requireCertificate } from '../store/store.js';
import type { OperationContext } from './context.js';

export async function exportAgentCertificate(context: OperationContext, outPath: string): Promise<{ path: string; certificateDer: Buffer }> {
  const snapshot = await requireCertificate(context.dataDir);
  const path = resolve(outPath);
  const folder = await stat(dirname(path)).catch(() => null);
  if (!folder?.isDirectory()) throw badInput('OUTPUT_FOLDER_MISSING', `The folder ${dirname(path)} does not exist. Create it or choose another destination.`);
  if ((await stat(path).catch(() => null))?.isDirectory()) throw badInput('OUTPUT_IS_FOLDER', `${path} is a folder. Give a file name, for example ${join(path, 'agent.cer')}.`);
  assertOutsideStore(context.dataDir, path);
  const certificateDer = Buffer.from(snapshot.state.current.certificateDer, 'base64');
  await replaceFileAtomically(path, certificateDer, 0o644);
  return { path, certificateDer };
}
