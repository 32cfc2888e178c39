/** `-e <out>`: the public certificate (DER) that agents trust, for a manual fix of an agent. */
import { replaceFileAtomically } from '../store/durable-fs.js';
import { resolveOutputFile } from '../store/output-file.js';
import { requireCertificate } from '../store/store.js';
import type { OperationContext } from './context.js';

export async function exportAgentCertificate(context: OperationContext, outPath: string): Promise<{ path: string; certificateDer: Buffer }> {
  const snapshot = await requireCertificate(context.dataDir);
  const path = await resolveOutputFile(context.dataDir, outPath, 'agent.cer');
  const certificateDer = Buffer.from(snapshot.state.current.certificateDer, 'base64');
  await replaceFileAtomically(path, certificateDer, 0o644);
  return { path, certificateDer };
}
