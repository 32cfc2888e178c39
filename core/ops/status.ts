import type { StoreStatus } from '../schemas.js';
import { describeCertificate } from '../pki/inspect.js';
import { readStore } from '../store/store.js';

/** What the store holds now. Reads only; takes no lock. */
export async function getStatus(dataDir: string): Promise<StoreStatus> {
  const snapshot = await readStore(dataDir);
  if (!snapshot) return { dataDir, hasCertificate: false, current: null, replaced: [] };
  const { current, replaced } = snapshot.state;
  return {
    dataDir,
    hasCertificate: true,
    current: {
      ...describeCertificate(Buffer.from(current.certificateDer, 'base64')),
      exportable: current.exportable,
      version: current.version,
      installedAt: current.installedAt,
      source: current.source,
    },
    replaced: replaced.map((r) => ({ ...describeCertificate(Buffer.from(r.certificateDer, 'base64')), version: r.version, replacedAt: r.replacedAt })),
  };
}
