/**
 * `export-pfx <password> <file.pfx> [--compat legacy]`: the current key, certificate and CA chain
 * as one .pfx for another Windows server, IIS or an appliance.
 *
 * The modern profile (the default) is our backups' PKCS#12: AES-256 / PBKDF2-SHA256, which
 * OpenSSL 3 and Windows Server 2019 and later import. The legacy profile (3DES, SHA-1 MAC) is
 * written only when asked, for Windows Server 2016 and older; it is never used for our backups.
 */
import { wrongState } from '../errors.js';
import { encodePkcs12 } from '../pki/pkcs12/index.js';
import { encodeLegacyPkcs12 } from '../pki/pkcs12/legacy-encode.js';
import { replaceFileAtomically } from '../store/durable-fs.js';
import { resolveOutputFile } from '../store/output-file.js';
import { loadPrivateKey, requireCertificate } from '../store/store.js';
import { recordChange } from './audit-trail.js';
import { assertNewPassword, reporter, type OperationContext } from './context.js';
import { pkcs12InputOf } from './backup-of-store.js';

type PfxCompat = 'modern' | 'legacy';

interface ExportPfxRequest {
  password: string;
  outPath: string;
  compat?: PfxCompat;
}

interface ExportPfxResult {
  path: string;
  fingerprintSha256: string;
  compat: PfxCompat;
  /** How many CA certificates went in beside the server's own. */
  chainLength: number;
}

export async function exportPfx(context: OperationContext, request: ExportPfxRequest): Promise<ExportPfxResult> {
  const compat = request.compat ?? 'modern';
  const report = reporter(context, 'export-pfx');
  report('checking', 0);
  const snapshot = await requireCertificate(context.dataDir);
  if (!snapshot.state.current.exportable)
    throw wrongState('KEY_NOT_EXPORTABLE', 'The private key was restored as not exportable (-re), so it cannot be exported. Export from the original backup file instead.');
  const outPath = await resolveOutputFile(context.dataDir, request.outPath, 'server.pfx');
  assertNewPassword(request.password);
  const { input, info } = pkcs12InputOf({ privateKey: await loadPrivateKey(snapshot), state: snapshot.state });
  report('protecting-key', 0.1);
  const pfx = compat === 'legacy' ? await encodeLegacyPkcs12(input, request.password) : await encodePkcs12(input, request.password, context.iterations ? { iterations: context.iterations } : {});
  report('writing', 0.9);
  await replaceFileAtomically(outPath, pfx, 0o600);
  await recordChange(context, { operation: 'export-pfx', fingerprintBefore: info.fingerprintSha256, fingerprintAfter: info.fingerprintSha256, details: { path: outPath, compat } });
  report('done', 1);
  return { path: outPath, fingerprintSha256: info.fingerprintSha256, compat, chainLength: input.chain?.length ?? 0 };
}
