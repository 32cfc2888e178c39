/**
 * Issue 10, finding 10: file-system and decoding errors as one line and the documented code.
 * Errors the tests can provoke for real are provoked; the ones a root test process cannot meet
 * (read-only media, access denied, a full disk) are built the way Node builds them.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { X509Certificate } from 'node:crypto';
import { mkdir, open, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileSystemError } from '../../core/cli/fs-errors.js';
import { EXIT_CODES } from '../../core/errors.js';
import { tempDir } from '../helpers/temp.js';

let root: string;
beforeAll(async () => {
  root = await tempDir('cm-fserr-');
});

const caught = async (f: () => Promise<unknown> | unknown) => {
  try {
    await f();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
};

const nodeError = (code: string, syscall: string, path: string) => Object.assign(new Error(`${code}: something, ${syscall} '${path}'`), { code, syscall, path, errno: -1 });

describe('fileSystemError', () => {
  it('maps real errors: missing, a file for a folder, a folder for a file, exists, a link loop, too long', async () => {
    const file = join(root, 'f');
    await writeFile(file, 'x');
    await mkdir(join(root, 'd'));
    await symlink(join(root, 'loop'), join(root, 'loop'));
    const cases: [unknown, number, RegExp][] = [
      [await caught(() => readFile(join(root, 'missing.zip'))), 4, /missing\.zip does not exist/],
      [await caught(() => readFile(join(file, 'x'))), 4, /is a file, not a folder/],
      [await caught(() => readFile(join(root, 'd'))), 4, /is a folder/],
      [await caught(() => open(file, 'wx')), 1, /created by another program/],
      [await caught(() => readFile(join(root, 'loop'))), 4, /points back to itself/],
      [await caught(() => readFile(join(root, 'n'.repeat(300)))), 4, /too long/],
    ];
    for (const [error, exit, text] of cases) {
      const mapped = fileSystemError(error)!;
      expect(mapped, String(error)).not.toBeNull();
      expect(EXIT_CODES[mapped.kind], mapped.message).toBe(exit);
      expect(mapped.message).toMatch(text);
      expect(mapped.message).not.toMatch(/\b(ENOENT|ENOTDIR|EISDIR|EEXIST|ELOOP|ENAMETOOLONG)\b/);
      expect(mapped.message.split('\n')).toHaveLength(1);
    }
  });

  it('maps what root cannot provoke here: read-only media, access denied, disk full; names the file, not our temporary', () => {
    const temp = join(root, '.agent.cer.1234.0a1b2c3d.tmp');
    for (const [code, text] of [['EROFS', /read-only media/], ['EACCES', /Access denied/], ['EPERM', /Access denied/], ['ENOSPC', /full/], ['EIO', /I\/O error/], ['EBUSY', /in use/]] as const) {
      const mapped = fileSystemError(nodeError(code, 'open', temp))!;
      expect(EXIT_CODES[mapped.kind]).toBe(1);
      expect(mapped.message).toMatch(text);
      expect(mapped.message).toContain(join(root, 'agent.cer'));
      expect(mapped.message).not.toContain('.tmp');
    }
  });

  it('a certificate that does not decode is bad input (exit 4), not "Unexpected error"', () => {
    const error = caught(() => new X509Certificate(Buffer.from('3082000a0201010203040506', 'hex')));
    return error.then((e) => {
      const mapped = fileSystemError(e)!;
      expect(mapped.code).toBe('UNREADABLE_CERTIFICATE');
      expect(EXIT_CODES[mapped.kind]).toBe(4);
    });
  });

  it('leaves other errors alone', () => {
    expect(fileSystemError(new Error('boom'))).toBeNull();
  });
});
