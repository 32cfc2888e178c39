import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import en from '../../renderer/src/i18n/en.js';
import ja from '../../renderer/src/i18n/ja.js';
import { createTranslator, intlLocale, languageFromLocale, resolveLanguage } from '../../renderer/src/lib/i18n-core.js';
import { MESSAGE_KINDS } from '../../core/trust/index.js';
import { REFUSAL_REASONS } from '../../core/protocol/wire.js';

type Tree = { readonly [key: string]: string | Tree };

function leaves(tree: Tree, prefix = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [key, value] of Object.entries(tree)) {
    const name = prefix ? `${prefix}.${key}` : key;
    if (typeof value === 'string') out.set(name, value);
    else for (const [k, v] of leaves(value, name)) out.set(k, v);
  }
  return out;
}

function branches(tree: Tree, prefix = ''): string[] {
  return Object.entries(tree).flatMap(([key, value]) => (typeof value === 'string' ? [] : [prefix + key, ...branches(value, `${prefix}${key}.`)]));
}

const enLeaves = leaves(en as Tree);
const jaLeaves = leaves(ja as Tree);
const placeholders = (text: string) => [...text.matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]).sort();

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? filesUnder(full) : [full];
  });
}

describe('translations', () => {
  it('have exactly the same keys in English and Japanese', () => {
    const missingInJa = [...enLeaves.keys()].filter((k) => !jaLeaves.has(k));
    const missingInEn = [...jaLeaves.keys()].filter((k) => !enLeaves.has(k));
    expect({ missingInJa, missingInEn }).toEqual({ missingInJa: [], missingInEn: [] });
    expect(branches(ja as Tree).sort()).toEqual(branches(en as Tree).sort());
  });

  it('have no empty or blank strings', () => {
    const blank = [...enLeaves, ...jaLeaves].filter(([, v]) => v.trim() === '').map(([k]) => k);
    expect(blank).toEqual([]);
  });

  it('use the same interpolation placeholders in both languages', () => {
    const differing = [...enLeaves.keys()].filter((k) => JSON.stringify(placeholders(enLeaves.get(k)!)) !== JSON.stringify(placeholders(jaLeaves.get(k) ?? '')));
    expect(differing).toEqual([]);
  });

  it('translate the Japanese strings (no English sentence left untranslated)', () => {
    // Product names and language names may be identical; sentences must not be.
    const allowedSame = new Set(['app.name', 'progress.percent', 'settings.languageEn', 'wizard.rail.done']);
    const same = [...enLeaves.keys()].filter((k) => !allowedSame.has(k) && enLeaves.get(k) === jaLeaves.get(k) && /[a-z]{3,} [a-z]{3,}/i.test(enLeaves.get(k)!));
    expect(same).toEqual([]);
  });

  it("use the seed's words", () => {
    expect(en.wizard.method.generateTitle).toBe('Generate a new certificate');
    expect(ja.wizard.method.generateTitle).toBe('新しい証明書を生成する');
    expect(en.wizard.method.importTitle).toBe('Import an existing certificate');
    expect(ja.wizard.method.importTitle).toBe('既存の証明書をインポートする');
    expect(ja.password.label).toBe('バックアップ用のパスワード');
    expect(en.password.label.toLowerCase()).toBe('backup password');
    // The seed's サーバ認証証明書, in Microsoft's current long-vowel style (issue #12, finding 10).
    expect(ja.cert.title).toBe('サーバー認証証明書');
    expect(en.cert.title.toLowerCase()).toBe('server authentication certificate');
    expect(ja.clients.title).toBe('有効な証明書がないクライアント');
    expect(en.clients.title.toLowerCase()).toBe('clients without a valid certificate');
  });

  it('write Japanese sentences in です/ます style', () => {
    // Every Japanese string that ends a sentence with 。 ends it politely.
    const plain = [...jaLeaves].filter(([, v]) => v.endsWith('。') && !/(です|ます|ません|ください|でした|ました)。$/.test(v.replace(/\s*[(（][^)）]*[)）]。$/, '。'))).map(([k, v]) => `${k}: ${v}`);
    expect(plain).toEqual([]);
  });

  it('define every key the components use', () => {
    const src = path.resolve('renderer/src');
    const used = new Set<string>();
    for (const file of filesUnder(src).filter((f) => /\.(svelte|ts)$/.test(f) && !f.includes(`${path.sep}i18n${path.sep}`))) {
      for (const m of readFileSync(file, 'utf8').matchAll(/\bt\(\s*'([a-zA-Z0-9_.-]+)'/g)) used.add(m[1]!);
      for (const m of readFileSync(file, 'utf8').matchAll(/'((?:wizard|dashboard|cert|password|common|app|errors|settings|logs|clients|renew|restore|backup|pager|progress)\.[a-zA-Z0-9_.-]+)'/g)) used.add(m[1]!);
    }
    expect(used.size).toBeGreaterThan(100);
    const missing = [...used].filter((k) => !enLeaves.has(k));
    expect(missing).toEqual([]);
  });
});

describe('values agents report', () => {
  it('has a label for every auth-failure reason and message kind the core defines', () => {
    expect(Object.keys(en.reasons).sort()).toEqual([...REFUSAL_REASONS].sort());
    expect(Object.keys(en.reasonDetails).sort()).toEqual([...REFUSAL_REASONS].sort());
    expect(Object.keys(en.messageKinds).sort()).toEqual(expect.arrayContaining([...MESSAGE_KINDS].sort()));
  });
});

describe('language choice', () => {
  it('follows the OS locale when the setting is automatic', () => {
    expect(languageFromLocale('ja-JP')).toBe('ja');
    expect(languageFromLocale('ja')).toBe('ja');
    expect(languageFromLocale('JA_jp')).toBe('ja');
    expect(languageFromLocale('en-US')).toBe('en');
    expect(languageFromLocale('de-DE')).toBe('en');
    expect(languageFromLocale('jav')).toBe('en');
    expect(languageFromLocale('')).toBe('en');
    expect(languageFromLocale(undefined)).toBe('en');
    expect(resolveLanguage('auto', 'ja-JP')).toBe('ja');
    expect(resolveLanguage('auto', 'en-GB')).toBe('en');
    expect(resolveLanguage(null, 'ja-JP')).toBe('ja');
  });

  it('lets the setting override the OS locale', () => {
    expect(resolveLanguage('en', 'ja-JP')).toBe('en');
    expect(resolveLanguage('ja', 'en-US')).toBe('ja');
  });

  it('formats with a matching Intl locale', () => {
    expect(intlLocale('ja')).toBe('ja-JP');
    expect(intlLocale('en')).toBe('en-US');
  });
});

describe('translator (i18next)', () => {
  const translator = createTranslator({ ja });

  it('has English built in and adds another language when it is loaded', () => {
    const fresh = createTranslator();
    expect(fresh.has('en')).toBe(true);
    expect(fresh.has('ja')).toBe(false);
    fresh.add('ja', ja);
    expect(fresh.has('ja')).toBe(true);
    expect(fresh.t('ja', 'wizard.method.generateTitle')).toBe('新しい証明書を生成する');
  });

  it('translates by language without changing a global language', () => {
    expect(translator.t('en', 'wizard.method.generateTitle')).toBe('Generate a new certificate');
    expect(translator.t('ja', 'wizard.method.generateTitle')).toBe('新しい証明書を生成する');
    expect(translator.t('en', 'wizard.method.generateTitle')).toBe('Generate a new certificate');
  });

  it('interpolates without HTML-escaping (Svelte escapes)', () => {
    expect(translator.t('en', 'backup.doneBody', { path: 'C:\\a&b\\<x>.zip' })).toContain('C:\\a&b\\<x>.zip');
    expect(translator.t('ja', 'pager.range', { from: 1, to: 50, total: '100,000' })).toBe('100,000 件中 1–50 件');
  });

  it('says when a dynamic key does not exist', () => {
    expect(translator.lookup('ja', 'errors.code.WRONG_PASSWORD')).toMatch(/パスワード/);
    expect(translator.lookup('ja', 'errors.code.NO_SUCH_CODE')).toBeUndefined();
  });
});
