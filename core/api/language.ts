/**
 * Which of our two languages to use: the admin's setting, or the OS locale when it is "auto".
 * One rule for the window (renderer/src/lib/i18n-core.ts) and for what main shows itself
 * (native dialogs, menu). No Node or DOM imports: the renderer bundles this module.
 */
export type Language = 'en' | 'ja';
export type LanguageSetting = 'auto' | Language;

/** The OS locale (appInfo().locale, e.g. "ja-JP", "ja", "en-US") to one of our languages. */
export function languageFromLocale(locale: string | null | undefined): Language {
  const tag = (locale ?? '').trim().toLowerCase().replace('_', '-');
  return tag === 'ja' || tag.startsWith('ja-') ? 'ja' : 'en';
}

/** The language to show: the setting wins unless it is "auto" (or missing), which follows the OS locale. */
export function resolveLanguage(setting: string | null | undefined, osLocale: string | null | undefined): Language {
  if (setting === 'ja' || setting === 'en') return setting;
  return languageFromLocale(osLocale);
}
