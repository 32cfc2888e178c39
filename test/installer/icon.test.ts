// build/icon.png and build/icon.ico: valid, commit-sized, and what build/make-icon.mjs draws.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { ICO_SIZES, encodeIco, encodePng, renderIcon } from '../../build/make-icon.mjs';
import { ROOT } from './helpers.js';

const require = createRequire(import.meta.url);
const png = readFileSync(join(ROOT, 'build', 'icon.png'));
const ico = readFileSync(join(ROOT, 'build', 'icon.ico'));

/** PNG chunks, each CRC checked. */
function chunks(buf: Buffer) {
  expect(buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  const out: { type: string; data: Buffer }[] = [];
  for (let at = 8; at < buf.length; ) {
    const len = buf.readUInt32BE(at);
    const type = buf.toString('latin1', at + 4, at + 8);
    const data = buf.subarray(at + 8, at + 8 + len);
    expect(buf.readUInt32BE(at + 8 + len), `${type} CRC`).toBe(crc32(buf.subarray(at + 4, at + 8 + len)));
    out.push({ type, data });
    at += 12 + len;
  }
  return out;
}

describe('build/icon.png', () => {
  it('is a valid 512x512 RGBA PNG under 100 KB', () => {
    expect(png.length).toBeLessThan(100 * 1024);
    const list = chunks(png);
    expect(list.map((c) => c.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = list[0]!.data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([512, 512, 8, 6]);
    // one filter byte + 512 RGBA pixels per row
    expect(inflateSync(list[1]!.data).length).toBe(512 * (1 + 512 * 4));
  });

  it('is what build/make-icon.mjs draws (regenerate with: node build/make-icon.mjs)', () => {
    expect(encodePng(renderIcon(512), 512, 512).equals(png)).toBe(true);
  });

  it('is opaque in the middle and transparent in the corners', () => {
    const px = renderIcon(64);
    const alpha = (x: number, y: number) => px[(y * 64 + x) * 4 + 3];
    expect(alpha(32, 32)).toBe(255);
    expect(alpha(0, 0)).toBe(0);
  });
});

describe('build/icon.ico', () => {
  it('holds 16 to 256 px images, commit-sized, and is what make-icon.mjs writes', () => {
    expect(ico.length).toBeLessThan(100 * 1024);
    expect(ico.readUInt16LE(2)).toBe(1);
    const count = ico.readUInt16LE(4);
    const sizes = Array.from({ length: count }, (_, i) => ico[6 + i * 16] || 256);
    expect(sizes).toEqual(ICO_SIZES);
    expect(sizes).toContain(256); // electron-builder requires a 256 px image for Windows
    expect(encodeIco(ICO_SIZES).equals(ico)).toBe(true);
  });

  it('is read by resedit, the library electron-builder puts icons into the executable with', () => {
    const builderRequire = createRequire(require.resolve(join(ROOT, 'node_modules', 'app-builder-lib', 'package.json')));
    const resedit = builderRequire('resedit') as { Data: { IconFile: { from(b: Buffer): { icons: { width: number; height: number }[] } } } };
    const icons = resedit.Data.IconFile.from(ico).icons;
    expect(icons.map((i) => i.width || 256)).toEqual(ICO_SIZES);
  });
});
