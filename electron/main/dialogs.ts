/**
 * Options of the native open/save dialogs, per purpose. The renderer never sees the file system:
 * it asks for a purpose (and maybe a file name) and gets back the path the admin chose, or null.
 * Pure; app.ts calls Electron's dialog with these.
 */
import path from 'node:path';

export type OpenPurpose = 'backup';
export type SavePurpose = 'backup' | 'agent-certificate' | 'clients-csv';

interface Filter {
  name: string;
  extensions: string[];
}

const SAVE: Readonly<Record<SavePurpose, { title: string; fallbackName: string; filters: Filter[] }>> = {
  backup: { title: 'Save the certificate backup', fallbackName: 'certificate-backup.zip', filters: [{ name: 'Certificate backup (zip)', extensions: ['zip'] }] },
  'agent-certificate': { title: 'Export the certificate for agents', fallbackName: 'server-certificate.cer', filters: [{ name: 'Certificate (DER)', extensions: ['cer'] }] },
  'clients-csv': { title: 'Export the client list', fallbackName: 'clients-without-valid-certificate.csv', filters: [{ name: 'CSV', extensions: ['csv'] }] },
};

/**
 * A safe default file name: the renderer's suggestion reduced to a plain name (no folders, no
 * control or reserved characters), or the purpose's fallback.
 */
export function safeFileName(suggested: string | undefined, fallback: string): string {
  if (!suggested) return fallback;
  const base = suggested.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex
  const cleaned = base.replace(/[\u0000-\u001f<>:"|?*]/g, '').replace(/^[.\s]+/, '').trim().slice(0, 200);
  return cleaned.length > 0 ? cleaned : fallback;
}

export function saveDialogOptions(purpose: SavePurpose, defaultName: string | undefined, documentsDir: string) {
  const spec = SAVE[purpose];
  return {
    title: spec.title,
    defaultPath: path.join(documentsDir, safeFileName(defaultName, spec.fallbackName)),
    filters: spec.filters,
    properties: ['createDirectory', 'showOverwriteConfirmation'] as Array<'createDirectory' | 'showOverwriteConfirmation'>,
  };
}

export function openDialogOptions(purpose: OpenPurpose) {
  void purpose;
  return {
    title: 'Choose a certificate backup',
    filters: [
      { name: 'Certificate backup (zip, pfx, p12)', extensions: ['zip', 'pfx', 'p12'] },
      { name: 'All files', extensions: ['*'] },
    ],
    properties: ['openFile'] as Array<'openFile'>,
  };
}
