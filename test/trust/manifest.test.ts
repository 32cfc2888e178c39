import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CertManagerError } from '../../core/errors.js';
import { ContentCheck, TrustError, checkContent, createContentManifest } from '../../core/trust/index.js';
import { refusal } from './fixtures.js';

const content = randomBytes(100_000);
const manifest = createContentManifest({ name: 'hotfix-42', version: '11.0.42', content, url: 'https://feed.example/hotfix-42.bin' });

describe('content manifest', () => {
  it('names the SHA-256 and size of the content', () => {
    expect(manifest).toEqual({
      name: 'hotfix-42',
      version: '11.0.42',
      sha256: createHash('sha256').update(content).digest('hex'),
      size: 100_000,
      url: 'https://feed.example/hotfix-42.bin',
    });
  });

  it('can be made from a digest when the content is too large to hold', () => {
    const fromDigest = createContentManifest({ name: 'hotfix-42', version: '11.0.42', content: { sha256: manifest.sha256.toUpperCase(), size: 100_000 }, url: manifest.url });
    expect(fromDigest).toEqual(manifest);
  });

  it('accepts matching content, in one piece or in chunks', () => {
    expect(checkContent(manifest, content)).toEqual(manifest);
    const check = new ContentCheck(manifest);
    for (let i = 0; i < content.length; i += 4096) check.update(content.subarray(i, i + 4096));
    expect(check.finish()).toEqual(manifest);
  });

  it('hash mismatch: same size, one byte changed', async () => {
    const tampered = Buffer.from(content);
    tampered[500]! ^= 0xff;
    const err = await refusal(() => checkContent(manifest, tampered));
    expect(err.reason).toBe('hash-mismatch');
    expect(err.details).toMatchObject({ expected: manifest.sha256 });
  });

  it('hash mismatch: shorter content, and longer content refused while still downloading', async () => {
    expect((await refusal(() => checkContent(manifest, content.subarray(1)))).reason).toBe('hash-mismatch');
    const check = new ContentCheck(manifest);
    check.update(content);
    const err = await refusal(() => check.update(Buffer.from([0])));
    expect(err.reason).toBe('hash-mismatch');
    expect(err.details.expectedSize).toBe(100_000);
  });

  it('a manifest that is not valid is malformed', async () => {
    const bad: unknown[] = [
      null,
      { ...manifest, sha256: 'zz' },
      { ...manifest, size: -1 },
      { ...manifest, url: 'file:///etc/passwd' },
      { ...manifest, url: 'https://user:pw@feed.example/x' },
      { ...manifest, extra: 1 },
    ];
    for (const m of bad) expect((await refusal(() => checkContent(m, content))).reason, JSON.stringify(m)).toBe('malformed');
  });

  it('the server refuses to write an invalid manifest (a server-side error, not a TrustError)', () => {
    const make = () => createContentManifest({ name: '', version: '1', content, url: 'x' });
    expect(make).toThrow(CertManagerError);
    try {
      make();
    } catch (e) {
      expect(e).not.toBeInstanceOf(TrustError);
      expect((e as CertManagerError).code).toBe('CONTENT_MANIFEST_INVALID');
    }
  });
});
