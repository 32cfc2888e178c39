/**
 * Issue #12: no English reaches a Japanese screen. Every string the renderer can show comes from
 * the ja dictionary (wizard pages, dialogs, every error code's title, message and next step,
 * every reason), so every leaf of it is held to the rule the Chromium walk applies to rendered
 * screens (test/e2e/one-language.test.ts). The English dictionary is held to the mirror rule.
 */
import { describe, expect, it } from 'vitest';
import en from '../../renderer/src/i18n/en.js';
import ja from '../../renderer/src/i18n/ja.js';
import { japaneseIn } from '../helpers/japanese.js';
import { latinWordsIn } from '../helpers/latin.js';

function leaves(node: unknown, path: string, out: Array<[string, string]>): Array<[string, string]> {
  if (typeof node === 'string') out.push([path, node]);
  else for (const [key, value] of Object.entries(node as Record<string, unknown>)) leaves(value, path ? `${path}.${key}` : key, out);
  return out;
}

describe('the Japanese dictionary', () => {
  const strings = leaves(ja, '', []);

  it('has every string the English one has, and nothing more', () => {
    expect(strings.map(([path]) => path).sort()).toEqual(leaves(en, '', []).map(([path]) => path).sort());
  });

  it('has no English words in any string (names, codes, paths and keys aside)', () => {
    expect(strings.length).toBeGreaterThan(300);
    const english = strings
      .map(([path, text]) => [path, latinWordsIn(text.replace(/\{\{\w+\}\}/g, ' '))] as const)
      .filter(([, words]) => words.length > 0)
      .map(([path, words]) => `${path}: ${words.join(' ')}`);
    expect(english).toEqual([]);
  });

  it('the rule catches English prose, so a string left untranslated fails it', () => {
    expect(latinWordsIn('バックアップを作成しました')).toEqual([]);
    expect(latinWordsIn('Backup created')).toEqual(['Backup', 'created']);
    expect(latinWordsIn('C:\\Backup\\a.zip を作成しました (SHA-256, STORE_LOCKED, server.corp.example)')).toEqual([]);
  });
});

describe('the English dictionary', () => {
  it('has no Japanese in any string (the language choice naming 日本語 aside)', () => {
    const strings = leaves(en, '', []);
    expect(strings.length).toBeGreaterThan(300);
    expect(strings.filter(([, text]) => japaneseIn(text).length > 0).map(([path, text]) => `${path}: ${text}`)).toEqual([]);
  });

  it('the rule catches Japanese prose and full-width forms', () => {
    expect(japaneseIn('日本語 (Japanese)')).toEqual([]);
    expect(japaneseIn('Backup created: バックアップ')).toEqual(['バックアップ']);
    expect(japaneseIn('2025／01／01')).toEqual(['／', '／']);
    expect(japaneseIn('C:\\Backup\\a.zip (SHA-256, STORE_LOCKED)')).toEqual([]);
  });
});
