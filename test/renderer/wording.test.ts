/**
 * Issue #12, finding 10: the words Japanese Windows admins know, one long-vowel style, one
 * meaning per word on a screen, and a strength meter that agrees with the rule.
 */
import { describe, expect, it } from 'vitest';
import en from '../../renderer/src/i18n/en.js';
import ja from '../../renderer/src/i18n/ja.js';
import { MIN_SCORE } from '../../renderer/src/lib/password.js';

function strings(tree: unknown, out: string[] = []): string[] {
  if (typeof tree === 'string') out.push(tree);
  else if (tree && typeof tree === 'object') for (const value of Object.values(tree)) strings(value, out);
  return out;
}

describe('ja wording', () => {
  const all = strings(ja);

  it("uses Microsoft's current long-vowel style everywhere (サーバー, フォルダー)", () => {
    expect(all.filter((s) => /サーバ(?!ー)|フォルダ(?!ー)/.test(s))).toEqual([]);
  });

  it('calls the fingerprint 拇印, as Windows\' certificate dialog does', () => {
    expect(all.filter((s) => s.includes('フィンガープリント'))).toEqual([]);
    expect(ja.cert.fingerprint).toContain('拇印');
  });

  it('names the file password naturally and the fleet count as check-ins', () => {
    expect(ja.password.fileLabel).toBe('バックアップ ファイルのパスワード');
    expect(ja.dashboard.fleetTotal).toBe('チェックイン済みのエージェント');
  });

  it('keeps 更新 for renew only: "as of" time is not 更新', () => {
    expect(ja.dashboard.lastUpdated).not.toContain('更新');
    expect(ja.renew.fleetHint).not.toContain('更新');
  });
});

describe('strength meter agrees with the rule', () => {
  it('no score below the accepted one has a label that sounds acceptable', () => {
    for (let score = 0; score < MIN_SCORE; score++) {
      const key = `strength${score}` as 'strength0';
      expect(en.password[key]).not.toMatch(/fair|good|ok|strong$/i);
      expect(ja.password[key]).not.toMatch(/普通|良い|強い$/);
    }
  });
});
