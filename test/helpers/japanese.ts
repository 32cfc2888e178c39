/**
 * The "no Japanese on an English screen" rule, the mirror of latin.ts: kana, kanji, and
 * Japanese punctuation or full-width forms, except the one place English names the other
 * language by its own name (the language choice, "日本語 (Japanese)").
 */

/** Japanese an English screen may show: the language's own name in the language choice. */
const ALLOWED_JAPANESE = new Set(['日本語']);

const JAPANESE = /[\u3000-\u303f\u3040-\u309f\u30a0-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]+/g;

/** The runs of Japanese characters in `text` that break the rule. */
export function japaneseIn(text: string): string[] {
  return (text.match(JAPANESE) ?? []).filter((run) => !ALLOWED_JAPANESE.has(run));
}
