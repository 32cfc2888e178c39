// electron/main/second-instance.ts: the data a second launch hands the running window (hostile
// until validated) and when two spellings name the same store.
import { describe, expect, it } from 'vitest';
import { isSameDataDir, requestedDataDir, secondInstanceData } from '../../electron/main/second-instance.js';
import { NATIVE_STRINGS } from '../../electron/main/native-strings.js';

describe('second instance', () => {
  it('round-trips its own data and refuses anything else', () => {
    expect(requestedDataDir(secondInstanceData('D:\\cm'))).toBe('D:\\cm');
    for (const bad of [null, undefined, 'D:\\cm', 42, {}, { dataDir: '' }, { dataDir: 7 }, { dataDir: 'a\0b' }, { dataDir: 'x'.repeat(40_000) }])
      expect(requestedDataDir(bad), JSON.stringify(bad)?.slice(0, 40)).toBeNull();
  });

  it('compares Windows stores without regard to case or a trailing backslash, POSIX ones exactly', () => {
    expect(isSameDataDir('C:\\ProgramData\\CertificateManager', 'c:\\programdata\\certificatemanager\\', 'win32')).toBe(true);
    expect(isSameDataDir('C:\\ProgramData\\CertificateManager', 'D:\\cm', 'win32')).toBe(false);
    expect(isSameDataDir('/srv/cm', '/srv/cm/', 'linux')).toBe(true);
    expect(isSameDataDir('/srv/cm', '/srv/CM', 'linux')).toBe(false);
  });

  it('says it in both languages, with the command to run next', () => {
    for (const lang of ['en', 'ja'] as const) {
      expect(NATIVE_STRINGS[lang].otherStoreDetail).toContain('--data-dir "{requested}"');
      expect(NATIVE_STRINGS[lang].otherStoreDetail).toContain('{current}');
    }
  });
});
