/**
 * The few words main shows itself, outside the renderer: native dialog titles and file-type
 * names, and the menu. In the same two languages as the window, chosen the same way (the
 * language setting, else the OS locale: core/api/language.ts, shared with the window).
 */
import { resolveLanguage, type Language } from '../../core/api/language.js';

export type NativeLanguage = Language;
/** The same rule as the window's (core/api/language.ts). */
export const nativeLanguage = resolveLanguage;

const en = {
  saveBackupTitle: 'Save the certificate backup',
  backupZipFilter: 'Certificate backup (zip)',
  saveAgentCertificateTitle: 'Export the certificate for agents',
  derCertificateFilter: 'Certificate (DER)',
  saveClientsTitle: 'Export the clients without a valid certificate',
  csvFilter: 'CSV (comma-separated values)',
  saveHistoryTitle: 'Export the certificate history',
  savePfxTitle: 'Export the certificate for another Windows server',
  pfxFilter: 'Personal Information Exchange (pfx)',
  openBackupTitle: 'Choose a certificate backup',
  openBackupFilter: 'Certificate backup (zip, pfx, p12)',
  allFilesFilter: 'All files',
  fileMenu: '&File',
  editMenu: '&Edit',
  macEditMenu: 'Edit',
  otherStoreTitle: 'CertificateManager is already open',
  otherStoreMessage: 'This window works on another certificate store.',
  otherStoreDetail: 'Open: {current}\nAsked for: {requested}\n\nTo work on the other store, close this window, then start CertificateManager again with --data-dir "{requested}". Nothing was changed.',
};

const ja: typeof en = {
  saveBackupTitle: '証明書のバックアップを保存',
  backupZipFilter: '証明書のバックアップ (zip)',
  saveAgentCertificateTitle: 'エージェント用の証明書をエクスポート',
  derCertificateFilter: '証明書 (DER)',
  saveClientsTitle: '有効な証明書を持たないクライアントをエクスポート',
  csvFilter: 'CSV (コンマ区切り)',
  saveHistoryTitle: '証明書の履歴をエクスポート',
  savePfxTitle: '別の Windows サーバー用に証明書をエクスポート',
  pfxFilter: 'Personal Information Exchange - PKCS #12 (pfx)',
  openBackupTitle: '証明書のバックアップを選択',
  openBackupFilter: '証明書のバックアップ (zip、pfx、p12)',
  allFilesFilter: 'すべてのファイル',
  fileMenu: 'ファイル(&F)',
  editMenu: '編集(&E)',
  macEditMenu: '編集',
  otherStoreTitle: 'CertificateManager はすでに開いています',
  otherStoreMessage: 'このウィンドウは別の証明書ストアを使用しています。',
  otherStoreDetail: '使用中: {current}\n指定されたストア: {requested}\n\n指定されたストアを使用するには、このウィンドウを閉じてから、--data-dir "{requested}" を付けて CertificateManager を起動し直してください。何も変更されていません。',
};

export type NativeStrings = typeof en;
export const NATIVE_STRINGS: Readonly<Record<NativeLanguage, NativeStrings>> = { en, ja };
