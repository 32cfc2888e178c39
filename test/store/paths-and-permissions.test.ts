import { describe, expect, it } from 'vitest';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultDataDir, resolveDataDir } from '../../core/store/paths.js';
import { restrictToAdministrators, windowsAclArguments } from '../../core/store/permissions.js';
import { tempDir } from '../helpers/temp.js';

describe('where the store lives', () => {
  it('Windows: %ProgramData%\\CertificateManager', () => {
    expect(defaultDataDir({ platform: 'win32', env: { ProgramData: 'D:\\ProgramData' } })).toBe('D:\\ProgramData\\CertificateManager');
    expect(defaultDataDir({ platform: 'win32', env: {} })).toBe('C:\\ProgramData\\CertificateManager');
  });
  it('macOS, Linux as root, Linux as a user', () => {
    expect(defaultDataDir({ platform: 'darwin', env: {} })).toBe('/Library/Application Support/CertificateManager');
    expect(defaultDataDir({ platform: 'linux', env: {}, isRoot: true })).toBe('/var/lib/certificatemanager');
    expect(defaultDataDir({ platform: 'linux', env: { XDG_DATA_HOME: '/home/a/.data' } })).toBe('/home/a/.data/certificatemanager');
  });
  it('--data-dir beats the environment variable, which beats the default', () => {
    const facts = { platform: 'linux' as const, env: { CERTIFICATEMANAGER_DATA_DIR: '/from/env' }, isRoot: true };
    expect(resolveDataDir('/from/flag', facts)).toBe('/from/flag');
    expect(resolveDataDir(undefined, facts)).toBe('/from/env');
    expect(resolveDataDir(undefined, { ...facts, env: {} })).toBe('/var/lib/certificatemanager');
  });
});

describe('administrators only', () => {
  it('Windows: icacls by SID, inheritance removed, Administrators and SYSTEM only; folders pass it on', async () => {
    const calls: [string, string[]][] = [];
    const run = async (file: string, args: string[]) => void calls.push([file, args]);
    await restrictToAdministrators('C:\\ProgramData\\CertificateManager\\generations\\gen-000001\\key.pem', 'file', { platform: 'win32', run, systemRoot: 'C:\\Windows' });
    await restrictToAdministrators('C:\\ProgramData\\CertificateManager', 'directory', { platform: 'win32', run, systemRoot: 'C:\\Windows' });
    const key = 'C:\\ProgramData\\CertificateManager\\generations\\gen-000001\\key.pem';
    expect(calls[0]).toEqual(['C:\\Windows\\System32\\icacls.exe', [key, '/setowner', '*S-1-5-32-544']]);
    expect(calls[1]).toEqual(['C:\\Windows\\System32\\icacls.exe', [key, '/inheritance:r', '/grant:r', '*S-1-5-32-544:(F)', '*S-1-5-18:(F)']]);
    expect(calls[3]![1]).toEqual(windowsAclArguments('C:\\ProgramData\\CertificateManager', 'directory'));
    expect(calls[3]![1]).toContain('*S-1-5-32-544:(OI)(CI)(F)');
    // Users, Everyone, Authenticated Users never appear.
    expect(calls.flatMap(([, a]) => a).join(' ')).not.toMatch(/S-1-5-32-545|S-1-1-0|S-1-5-11/);
    // A folder pre-created by someone else under %ProgramData% is taken back: owner first.
    expect(calls[2]![1]).toEqual(['C:\\ProgramData\\CertificateManager', '/setowner', '*S-1-5-32-544']);
  });
  it('Windows: a failing icacls fails the operation (the key is never left readable silently)', async () => {
    // Typically: a console not started with "Run as administrator". One line that says so.
    const failing = restrictToAdministrators('C:\\x', 'file', { platform: 'win32', run: async () => Promise.reject(new Error('Command failed: icacls.exe: Access is denied.')) });
    await expect(failing).rejects.toMatchObject({ kind: 'internal', code: 'ACCESS_DENIED' });
    await expect(failing).rejects.toThrow(/Run the command prompt as an administrator; nothing was changed/);
  });
  it('POSIX: 0600 files and 0700 folders, on real files', async () => {
    const dir = await tempDir();
    const file = join(dir, 'key.pem');
    await writeFile(file, 'x', { mode: 0o644 });
    await restrictToAdministrators(file, 'file', { platform: 'linux' });
    await restrictToAdministrators(dir, 'directory', { platform: 'linux' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect((await stat(dir)).mode & 0o777).toBe(0o700);
  });
});
