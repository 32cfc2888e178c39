/**
 * What the UI says about an error: a title by kind, a message by code (translated when we have
 * one, else the core's English message) and always a next step.
 */
import type { UiError } from './api.js';
import type { Language, Translator } from './i18n-core.js';

interface ErrorView {
  title: string;
  message: string;
  /** Shown when the message itself does not already tell what to do. */
  nextStep: string | null;
  code: string;
}

/** Code families translated by prefix when the exact code has no string (BACKUP_TRUNCATED → BACKUP). */
const FAMILIES = ['BACKUP', 'PKCS12'] as const;

export function translatedMessageKey(translator: Translator, language: Language, code: string): string | null {
  if (!/^[A-Z0-9_]+$/.test(code)) return null;
  if (translator.lookup(language, `errors.code.${code}`) !== undefined) return `errors.code.${code}`;
  for (const family of FAMILIES) {
    if (code.startsWith(`${family}_`) && translator.lookup(language, `errors.code.${family}`) !== undefined) return `errors.code.${family}`;
  }
  return null;
}

export function describeError(error: UiError, translator: Translator, language: Language): ErrorView {
  const title = translator.t(language, `errors.title.${error.kind}`);
  const kindStep = translator.t(language, `errors.kind.${error.kind}`);
  const key = translatedMessageKey(translator, language, error.code);
  if (key) {
    // Our translated messages already end with what to do next.
    return { title, message: translator.lookup(language, key, error.details) ?? error.message, nextStep: null, code: error.code };
  }
  const message = error.message.trim() || title;
  return { title, message, nextStep: kindStep, code: error.code };
}
