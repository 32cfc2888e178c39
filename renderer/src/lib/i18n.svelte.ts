/**
 * The i18next translator with its language held in a Svelte $state: every `t()` call made
 * while rendering reads `locale.language`, so switching the language re-renders those parts.
 */
import { createTranslator, type Language, type MessageKey, type Vars } from './i18n-core.js';

export type { Language, MessageKey, Vars };

export const translator = createTranslator();

export const locale = $state<{ language: Language }>({ language: 'en' });

export function t(key: MessageKey, vars?: Vars): string {
  return translator.t(locale.language, key, vars);
}

/** Loads a language's messages once. English is built in, so only Japanese is ever loaded (its own chunk). */
function loadLanguage(language: Language): Promise<void> {
  if (translator.has(language)) return Promise.resolve();
  return import('../i18n/ja.js').then((module) => translator.add('ja', module.default));
}

/** The language asked for last: a switch whose strings arrive after a later switch does not win. */
let requested: Language | null = null;

/** Switches the UI to `language`, once its messages are loaded (no flash of English first). */
export async function setLanguage(language: Language): Promise<void> {
  requested = language;
  await loadLanguage(language);
  if (requested !== language || locale.language === language) return;
  locale.language = language;
  void translator.i18next.changeLanguage(language);
  document.documentElement.lang = language;
}

/** A translated label for a value that comes from agents or the server (a reason, a message kind, a state), or the value itself. */
export function label(group: 'reasons' | 'messageKinds' | 'reasonDetails' | 'states' | 'stateDetails', value: string): string {
  return translator.lookup(locale.language, `${group}.${value}`) ?? value;
}
