/**
 * Options of the native open/save dialogs, per purpose. The renderer never sees the file system:
 * it asks for a purpose (and maybe a file name) and gets back the path the admin chose, or null.
 * Pure; app.ts calls Electron's dialog with these.
 */
import path from 'node:path';
import type { OpenPurpose, SavePurpose } from '../../core/api/dialog-purposes.js';
import { NATIVE_STRINGS, type NativeLanguage, type NativeStrings } from './native-strings.js';


interface Filter {
  name: string;
  extensions: string[];
}

const SAVE: Readonly<Record<SavePurpose, (s: NativeStrings) => { title: string; fallbackName: string; filters: Filter[] }>> = {
  backup: (s) => ({ title: s.saveBackupTitle, fallbackName: 'certificate-backup.zip', filters: [{ name: s.backupZipFilter, extensions: ['zip'] }] }),
  'agent-certificate': (s) => ({ title: s.saveAgentCertificateTitle, fallbackName: 'server-certificate.cer', filters: [{ name: s.derCertificateFilter, extensions: ['cer'] }] }),
  'clients-csv': (s) => ({ title: s.saveClientsTitle, fallbackName: 'clients-without-valid-certificate.csv', filters: [{ name: s.csvFilter, extensions: ['csv'] }] }),
  'history-csv': (s) => ({ title: s.saveHistoryTitle, fallbackName: 'certificate-history.csv', filters: [{ name: s.csvFilter, extensions: ['csv'] }] }),
  pfx: (s) => ({ title: s.savePfxTitle, fallbackName: 'server-certificate.pfx', filters: [{ name: s.pfxFilter, extensions: ['pfx', 'p12'] }] }),
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

export function saveDialogOptions(purpose: SavePurpose, defaultName: string | undefined, documentsDir: string, language: NativeLanguage = 'en') {
  const spec = SAVE[purpose](NATIVE_STRINGS[language]);
  return {
    title: spec.title,
    defaultPath: path.join(documentsDir, safeFileName(defaultName, spec.fallbackName)),
    filters: spec.filters,
    properties: ['createDirectory', 'showOverwriteConfirmation'] as Array<'createDirectory' | 'showOverwriteConfirmation'>,
  };
}

export function openDialogOptions(purpose: OpenPurpose, language: NativeLanguage = 'en') {
  void purpose;
  const s = NATIVE_STRINGS[language];
  return {
    title: s.openBackupTitle,
    filters: [
      { name: s.openBackupFilter, extensions: ['zip', 'pfx', 'p12'] },
      { name: s.allFilesFilter, extensions: ['*'] },
    ],
    properties: ['openFile'] as Array<'openFile'>,
  };
}
