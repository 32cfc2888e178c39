/**
 * i18next set up for the renderer, without any Svelte or DOM dependency so it can be tested in
 * Node. i18n.svelte.ts wraps the current language in a $state so components re-render on switch.
 */
import i18next, { type i18n as I18nInstance } from 'i18next';
import en, { type Messages } from '../i18n/en.js';

import type { Language } from '../../../core/api/language.js';
export { languageFromLocale, resolveLanguage, type Language, type LanguageSetting } from '../../../core/api/language.js';

/** Every dot path to a string leaf of the English messages, e.g. "wizard.method.heading". */
type Leaves<T, P extends string = ''> = {
  [K in keyof T & string]: T[K] extends string ? `${P}${K}` : Leaves<T[K], `${P}${K}.`>;
}[keyof T & string];
export type MessageKey = Leaves<typeof en>;
export type Vars = Record<string, string | number>;

/** English: the fallback and the shape of every language. The others load when first used. */
export const resources = { en } as const;

/** BCP 47 tag for Intl formatting. */
export function intlLocale(language: Language): string {
  return language === 'ja' ? 'ja-JP' : 'en-US';
}

export interface Translator {
  readonly i18next: I18nInstance;
  t(language: Language, key: MessageKey, vars?: Vars): string;
  /** For keys built at run time (error codes): undefined when there is no such string. */
  lookup(language: Language, key: string, vars?: Vars): string | undefined;
  /** Whether `language`'s messages are loaded (English always is). */
  has(language: Language): boolean;
  add(language: Language, messages: Messages): void;
}

/**
 * English is built in; other languages are added when they are first needed (the renderer loads
 * ja.ts as its own chunk, so an English start does not parse the Japanese strings), or given here.
 */
export function createTranslator(languages: Partial<Record<Language, Messages>> = {}): Translator {
  const instance = i18next.createInstance();
  void instance.init({
    resources: Object.fromEntries(Object.entries({ ...languages, en }).map(([language, messages]) => [language, { translation: messages }])),
    lng: 'en',
    fallbackLng: 'en',
    supportedLngs: ['en', 'ja'],
    initAsync: false,
    // Svelte escapes text itself; i18next must not escape it a second time.
    interpolation: { escapeValue: false },
    returnEmptyString: false,
    showSupportNotice: false,
  });
  return {
    i18next: instance,
    t(language, key, vars) {
      return instance.t(key, { ...vars, lng: language }) as string;
    },
    lookup(language, key, vars) {
      if (!instance.exists(key, { lng: language, fallbackLng: false } as never)) return undefined;
      return instance.t(key, { ...vars, lng: language }) as string;
    },
    has: (language) => instance.hasResourceBundle(language, 'translation'),
    add: (language, messages) => void instance.addResourceBundle(language, 'translation', messages),
  };
}
