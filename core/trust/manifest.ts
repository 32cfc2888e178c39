/**
 * Large content (hotfixes) is not put inside a signed message: the message carries a manifest
 * naming the content's SHA-256 and size, and the content travels separately (feed, IIS/nginx,
 * CDN). The agent trusts the bytes only after they match the signed manifest. The size is
 * checked while downloading, so a hostile mirror cannot fill the agent's disk.
 */
import { createHash, type Hash } from 'node:crypto';
import { z } from 'zod';
import { badInput } from '../errors.js';
import { TrustError } from './errors.js';
import { checkShape } from './codec.js';

const isFetchableUrl = (text: string): boolean => {
  try {
    // Relative references are allowed: the agent resolves them against the feed's own address,
    // which lets the same signed feed be mirrored anywhere.
    const url = new URL(text, 'https://feed.invalid/');
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
};

export const contentManifestSchema = z.strictObject({
  name: z.string().min(1).max(200),
  version: z.string().min(1).max(64),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'expected 64 lowercase hex digits'),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  // http is fine: integrity comes from the signed hash, not from the transport.
  url: z.string().min(1).max(2048).refine(isFetchableUrl, 'expected an http(s) URL or a relative reference without credentials'),
});

export type ContentManifest = z.infer<typeof contentManifestSchema>;

export interface ContentManifestInput {
  name: string;
  version: string;
  /** The content itself, or its digest when it is too large to hold in memory. */
  content: Uint8Array | { sha256: string; size: number };
  url: string;
}

/** Server side: the body of a 'hotfix-manifest' message. */
export function createContentManifest(input: ContentManifestInput): ContentManifest {
  const { content } = input;
  const digest =
    content instanceof Uint8Array
      ? { sha256: createHash('sha256').update(content).digest('hex'), size: content.byteLength }
      : { sha256: content.sha256.toLowerCase(), size: content.size };
  const candidate = { name: input.name, version: input.version, ...digest, url: input.url };
  const result = contentManifestSchema.safeParse(candidate);
  if (!result.success)
    throw badInput('CONTENT_MANIFEST_INVALID', `The content manifest is not valid: ${result.error.issues[0]?.message ?? 'unknown problem'}.`);
  return result.data;
}

/**
 * Agent side, for downloads that arrive in chunks: feed every chunk to `update` (it refuses as
 * soon as more bytes arrive than the manifest names) and call `finish` at the end.
 */
export class ContentCheck {
  readonly manifest: ContentManifest;
  private readonly hash: Hash = createHash('sha256');
  private received = 0;
  private finished = false;

  constructor(manifest: unknown) {
    this.manifest = checkShape(contentManifestSchema, manifest, 'The content manifest');
  }

  update(chunk: Uint8Array): void {
    if (this.finished) throw new Error('ContentCheck.update called after finish');
    this.received += chunk.byteLength;
    if (this.received > this.manifest.size)
      throw new TrustError('hash-mismatch', `"${this.manifest.name}" is larger than the ${this.manifest.size} bytes its manifest names`, {
        name: this.manifest.name,
        expectedSize: this.manifest.size,
      });
    this.hash.update(chunk);
  }

  finish(): ContentManifest {
    if (this.finished) throw new Error('ContentCheck.finish called twice');
    this.finished = true;
    const { name, size, sha256 } = this.manifest;
    if (this.received !== size)
      throw new TrustError('hash-mismatch', `"${name}" is ${this.received} bytes, not the ${size} its manifest names`, {
        name,
        expectedSize: size,
        actualSize: this.received,
      });
    const actual = this.hash.digest('hex');
    if (actual !== sha256)
      throw new TrustError('hash-mismatch', `The SHA-256 of "${name}" does not match its manifest`, { name, expected: sha256, actual });
    return this.manifest;
  }
}

/** Agent side, for content held in memory. Returns the checked manifest. */
export function checkContent(manifest: unknown, bytes: Uint8Array): ContentManifest {
  const check = new ContentCheck(manifest);
  check.update(bytes);
  return check.finish();
}
