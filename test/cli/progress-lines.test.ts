/**
 * Progress through the Windows console launcher (issue #16, point 6): the app may not see a TTY
 * even at a console, so progress is written as plain lines on stderr whether or not stderr is a
 * TTY; stdout keeps only the result, and --json writes no progress. The helper's pipes are not
 * TTYs, exactly the case the launcher can create.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { join } from 'node:path';
import { cli } from '../helpers/cli.js';
import { storeWithCertificate } from '../helpers/fixtures.js';
import { tempDir } from '../helpers/temp.js';

const pw = 'progress password 1';
let root: string;
let store: string;

beforeAll(async () => {
  root = await tempDir();
  store = join(root, 'store');
  await storeWithCertificate(store, pw, { keySize: 2048 });
}, 60_000);

describe('progress lines when stderr is not a TTY', () => {
  it('-b writes one plain line per step on stderr and only the result on stdout', async () => {
    const r = await cli(['-b', pw, join(root, 'a.zip')], { dataDir: store });
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n').filter(Boolean);
    expect(lines).toEqual(expect.arrayContaining(['Checking...', 'Protecting the key with the password...', 'Writing...']));
    expect(r.stderr).not.toContain('\r');
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^Backed up the certificate/);
  });

  it('--json writes no progress', async () => {
    const r = await cli(['-b', pw, join(root, 'b.zip'), '--json'], { dataDir: store });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toHaveProperty('path');
  });
});
