import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { toUiError } from '../../renderer/src/lib/api.js';
import { describeError, translatedMessageKey } from '../../renderer/src/lib/errors.js';
import { createTranslator } from '../../renderer/src/lib/i18n-core.js';
import ja from '../../renderer/src/i18n/ja.js';

const translator = createTranslator({ ja });

describe('errors from main', () => {
  it('keeps the fields of a thrown CertManagerError object', () => {
    const thrown = { name: 'CertManagerError', kind: 'wrong-password', code: 'WRONG_PASSWORD', message: 'The password is wrong.', details: { a: 1, b: 'x', c: { no: true } } };
    expect(toUiError(thrown)).toEqual({ kind: 'wrong-password', code: 'WRONG_PASSWORD', message: 'The password is wrong.', details: { a: 1, b: 'x' } });
  });

  it('finds the payload inside .error or in the JSON of an Error message', () => {
    expect(toUiError({ ok: false, error: { kind: 'bad-input', code: 'BACKUP_DAMAGED', message: 'm', details: {} } }).code).toBe('BACKUP_DAMAGED');
    const ipc = new Error(`Error invoking remote method 'cm:op:restore': ${JSON.stringify({ kind: 'wrong-state', code: 'STORE_LOCKED', message: 'Locked.', details: {} })}`);
    expect(toUiError(ipc)).toMatchObject({ kind: 'wrong-state', code: 'STORE_LOCKED' });
  });

  it('turns anything else into an internal error', () => {
    expect(toUiError(new Error('boom'))).toEqual({ kind: 'internal', code: 'INTERNAL', message: 'boom', details: {} });
    expect(toUiError('text')).toMatchObject({ kind: 'internal', message: 'text' });
    expect(toUiError({ kind: 'nonsense', code: 'X' })).toMatchObject({ kind: 'internal' });
  });
});

describe('what the UI says about an error', () => {
  it('translates by code, with details', () => {
    const ja = describeError({ kind: 'usage', code: 'PASSWORD_TOO_SHORT', message: 'too short', details: { min: 8 } }, translator, 'ja');
    expect(ja.message).toContain('8 文字以上');
    expect(ja.title).toBe('要求を受け付けられませんでした');
    expect(ja.nextStep).toBeNull();
    const en = describeError({ kind: 'wrong-password', code: 'WRONG_PASSWORD', message: 'x', details: {} }, translator, 'en');
    expect(en.title).toBe('Wrong password');
    expect(en.message).toMatch(/^Type the backup password/);
    // The body does not repeat the heading (issue #12, finding 10), in either language.
    expect(en.message).not.toContain(en.title);
    const jaWrong = describeError({ kind: 'wrong-password', code: 'WRONG_PASSWORD', message: 'x', details: {} }, translator, 'ja');
    expect(jaWrong.message).not.toContain(jaWrong.title);
  });

  it('translates a code family by prefix (BACKUP_*, PKCS12_*)', () => {
    expect(translatedMessageKey(translator, 'ja', 'BACKUP_HASH_MISMATCH')).toBe('errors.code.BACKUP');
    expect(translatedMessageKey(translator, 'en', 'PKCS12_MALFORMED')).toBe('errors.code.PKCS12');
    expect(translatedMessageKey(translator, 'en', 'BACKUP_CHANGED')).toBe('errors.code.BACKUP_CHANGED');
    expect(translatedMessageKey(translator, 'en', 'SOMETHING_NEW')).toBeNull();
    expect(translatedMessageKey(translator, 'en', '../__proto__')).toBeNull();
  });

  it("falls back to the core's English message plus a next step by kind", () => {
    const view = describeError({ kind: 'bad-input', code: 'SOMETHING_NEW', message: 'The thing is broken. Use another.', details: {} }, translator, 'ja');
    expect(view.message).toBe('The thing is broken. Use another.');
    expect(view.title).toBe('このファイルは使用できません');
    expect(view.nextStep).toMatch(/別のファイル/);
    expect(describeError({ kind: 'internal', code: 'X', message: '  ', details: {} }, translator, 'en').message).toBe('Something went wrong');
  });

  it('has a translation for every error code the core can send to the admin UI', () => {
    // Every module the app's handlers (core/api/service.ts) can reach, by following imports.
    // core/trust is the signing and verification vocabulary shared with agents: its codes reach
    // the admin only for a damaged store, where the English message and the next step by kind
    // are shown.
    const files = new Set<string>();
    const visit = (file: string) => {
      if (files.has(file) || !existsSync(file) || file.includes(`${path.sep}core${path.sep}trust${path.sep}`)) return;
      files.add(file);
      for (const m of readFileSync(file, 'utf8').matchAll(/from '(\.{1,2}\/[^']+)\.js'/g)) visit(path.resolve(path.dirname(file), `${m[1]}.ts`));
    };
    visit(path.resolve('core/api/service.ts'));
    visit(path.resolve('core/errors.ts'));
    // The IPC layer's own refusals.
    visit(path.resolve('core/api/dispatch.ts'));
    visit(path.resolve('electron/main/ipc-registration.ts'));
    expect(files.size).toBeGreaterThan(10);
    const codes = new Set<string>();
    for (const file of files) {
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(/(?:badInput|wrongState|wrongPassword|usageError|CertManagerError\(\s*'[a-z-]+',)\s*\(?\s*'([A-Z][A-Z0-9_]+)'/g)) codes.add(m[1]!);
      for (const m of text.matchAll(/:\s*'((?:PKCS12|BACKUP)_[A-Z0-9_]+)'/g)) codes.add(m[1]!);
      for (const m of text.matchAll(/failure\('[a-z-]+',\s*'([A-Z][A-Z0-9_]+)'|code:\s*'([A-Z][A-Z0-9_]+)'/g)) codes.add((m[1] ?? m[2])!);
    }
    // Programming errors (bad arguments between modules) are not admin-facing.
    const internalOnly = new Set(['BAD_ARGUMENTS', 'UNKNOWN_OPTION', 'UNKNOWN_COMMAND', 'MISSING_VALUE', 'BAD_OPTION', 'BAD_KEY_SIZE', 'NOT_IMPLEMENTED']);
    expect(codes.size).toBeGreaterThan(10);
    const missing = [...codes].filter((c) => !internalOnly.has(c)).filter((c) => !translatedMessageKey(translator, 'en', c) || !translatedMessageKey(translator, 'ja', c));
    expect(missing).toEqual([]);
    expect(codes).toContain('SENDER_REFUSED');
    expect(codes).toContain('PATH_NOT_CHOSEN');
  });

  it('codes whose fix differs from their family\'s get their own message, not the family\'s', () => {
    // "Damaged or unsupported" would send the admin the wrong way for these.
    for (const code of ['PKCS12_NO_KEY', 'PKCS12_NO_CERTIFICATE', 'PKCS12_KEY_MISMATCH', 'PKCS12_SEVERAL_KEYS', 'PKCS12_NO_MAC', 'PKCS12_HOSTILE_ITERATIONS', 'BACKUP_UNREADABLE', 'BACKUP_NOT_RECOGNIZED', 'BACKUP_CHANGED', 'BACKUP_ZIP_ENCRYPTED'])
      for (const language of ['en', 'ja'] as const) expect(translatedMessageKey(translator, language, code)).toBe(`errors.code.${code}`);
  });
});
