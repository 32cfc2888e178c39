/**
 * Issue 10, finding 11: no error line may show a password or any part of it, whatever the
 * password and whichever order the arguments come in. Through the CLI's main function.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import fc from 'fast-check';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { runInProcess as cli } from './in-process.js';
import { tempDir } from '../helpers/temp.js';

let root: string;
let store: string;
let zip: string;

beforeAll(async () => {
  root = await tempDir('cm-secret-');
  store = join(root, 'store');
  expect((await cli(['-g', 'the setup password', '--key-size', '2048'], { dataDir: store })).code).toBe(0);
  zip = join(root, 'backup.zip');
  await writeFile(zip, 'not really a zip');
});

/** Everything of `password` an error could show: itself, 8-character runs, paths made of it. */
function leaks(text: string, password: string): string[] {
  const found: string[] = [];
  const chars = Array.from(password);
  const size = Math.min(8, chars.length);
  // A password of one to three characters is in every sentence ("a"); that is not a leak.
  if (Array.from(password.trim()).length >= 4 && text.includes(password)) found.push(password);
  for (let i = 0; i + size <= chars.length; i++) {
    const piece = chars.slice(i, i + size).join('');
    if (piece.trim().length >= 4 && text.includes(piece)) found.push(piece);
  }
  const cwd = process.cwd();
  for (let p = resolve(password); p !== dirname(p); p = dirname(p)) {
    const rel = relative(p, cwd);
    if (rel === '' || (!rel.startsWith('..') && !isAbsolute(rel))) break;
    if (text.includes(p)) found.push(p);
  }
  return found;
}

/** A password as admins type them: words, spaces, slashes (a path-like one), Japanese. */
const password = fc
  .tuple(
    fc.stringMatching(/^[A-Za-z0-9 !#$%&'()*+,;=@^_{}~\u3042-\u3093\u30a2-\u30f3-]{1,12}$/),
    fc.constantFrom('/', ' ', '', '\\'),
    fc.stringMatching(/^[A-Za-z0-9 !#$%&*+=@^_~\u4e00-\u4e20.-]{0,16}$/),
  )
  .map(([a, sep, b]) => `${a}${sep}${b}`)
  .filter((p) => !p.startsWith('-') && p.trim().length > 0 && !p.includes('..') && !existsSync(resolve(p)));

/** A password unlike any the generator is likely to make, for the baseline run. */
const NEUTRAL = 'QQ7QQ7QQ7';

describe('11: no error shows the password', () => {
  it('in any argument order, for any password (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(password, fc.integer({ min: 0, max: 6 }), async (pw, order) => {
        const args = [
          ['-b', zip, pw], // swapped: the zip where the password goes
          ['-b', join(root, 'nested', 'out'), pw], // swapped, without .zip: pw becomes the destination
          ['-r', zip, pw],
          ['-re', pw, pw],
          ['verify-backup', zip, pw],
          ['-r', pw, join(root, 'missing.zip')],
          ['-r', join(root, 'missing.zip'), pw], // swapped, and the zip's name mistyped too
        ][order]!;
        // A password in a file's slot that ends like that file (.zip for -b's destination; .zip,
        // .pfx or .p12 for the backup to read when no argument names an existing file) is that
        // file's name to the command as typed: "-b <zip> error.zip" is a correct backup that
        // exits 0, and "Cannot read error.zip" or "The folder .../no-such-folder does not
        // exist" must name the file the admin gave. Not the swapped arguments this is about, and
        // never a file named after a password written into the working folder.
        const namesAFile = order <= 1 ? /\.zip$/i.test(pw) : (order === 3 || order === 6) && /\.(zip|pfx|p12)$/i.test(pw);
        fc.pre(!namesAFile);
        const r = await cli(args, { dataDir: store });
        expect(r.code).not.toBe(0);
        // A run of the password that is also an ordinary word of the message ("argumenta/" holds
        // "argument") is not a leak: the same command with a password that shares nothing with
        // it shows the same word. A real leak is absent from that baseline.
        const baseline = await cli(
          args.map((a) => (a === pw ? NEUTRAL : a)),
          { dataDir: store },
        );
        const leaked = leaks(r.stderr, pw).filter((piece) => !baseline.stderr.includes(piece));
        expect(leaked, `${JSON.stringify(args)} -> ${r.stderr}`).toEqual([]);
      }),
      { numRuns: 150, examples: [['argumenta/', 1], ['error.zip', 0], ['no-such-folder/error.zip', 0], ['no-such-folder/error.zip', 1], ['error.zip', 6], ['error.P12', 3], ['error.zip', 2], ['error.zip', 4]] },
    );
  });

  it('the case from the issue: -b <zip> <password with a folder in it>', async () => {
    const r = await cli(['-b', join(root, 'a.zip'), 'My/Passw0rd'], { dataDir: store });
    expect(r.code).toBe(2);
    expect(r.stderr).not.toContain('My');
    const r2 = await cli(['-b', join(root, 'out'), 'My/Passw0rd'], { dataDir: store });
    expect(r2.code).not.toBe(0);
    expect(r2.stderr).not.toMatch(/My|Passw0rd/);
  });
});
