/**
 * The certificate subject names the server (its host name by default), through -g and -c.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { join } from 'node:path';
import { generateCertificate, renewCertificate } from '../../core/ops/index.js';
import { tempDir } from '../helpers/temp.js';
import { fixtureContext as ctx } from '../helpers/fixtures.js';

const pw = 'review password 2026';
let root: string;

beforeAll(async () => {
  root = await tempDir('cm-subject-');
});

describe('the subject', () => {
  it('a non-ASCII common name (a Japanese --subject or host name) is written as UTF-8, not one byte per UTF-16 unit', async () => {
    // certificate.ts passes the JS string to forge, which expects a "binary" (UTF-8 byte) string:
    // 'サーバー1' comes out as 'µüÐü1'.
    const g = await generateCertificate(ctx(join(root, 'ja')), { password: pw, keySize: 2048, subject: 'サーバー1' });
    expect(g.status.current!.subject).toMatch(/^CN=サーバー1,/);
  });

  it('-c keeps the subject of a common name with a comma or quotes unchanged', async () => {
    // renew.ts reads the CN back from X509Certificate.subject, which is RFC 2253-escaped text:
    // every renewal adds another layer of backslashes ("Acme\\, Inc" -> "Acme\\\\\\, Inc" -> ...).
    const dataDir = join(root, 'comma');
    const g = await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048, subject: 'Acme, Inc. "HQ"' });
    const r = await renewCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    expect(r.status.current!.subject).toBe(g.status.current!.subject);
  });
});
