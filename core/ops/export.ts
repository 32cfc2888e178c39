/** `-e <out>`: the public certificate (DER) that agents trust, for a manual fix of an agent. */
import { replaceFileAtomically } from '../store/durable-fs.js';
import { resolveOutputFile } from '../store/output-file.js';
import { fingerprintSha256 } from '../pki/inspect.js';
import { requireCertificate } from '../store/store.js';
import { recordChange } from './audit-trail.js';
import type { OperationContext } from './context.js';

export async function exportAgentCertificate(context: OperationContext, outPath: string): Promise<{ path: string; certificateDer: Buffer }> {
  const snapshot = await requireCertificate(context.dataDir);
  const path = await resolveOutputFile(context.dataDir, outPath, 'agent.cer');
  const certificateDer = Buffer.from(snapshot.state.current.certificateDer, 'base64');
  await replaceFileAtomically(path, certificateDer, 0o644);
  const fingerprint = fingerprintSha256(certificateDer);
  await recordChange(context, { operation: 'export-agent-certificate', fingerprintBefore: fingerprint, fingerprintAfter: fingerprint, details: { path } });
  return { path, certificateDer };
}
