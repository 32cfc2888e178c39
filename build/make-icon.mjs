#!/usr/bin/env node
// Draws the application icon (a certificate with a seal on a blue tile) and writes
// build/icon.png (512x512, for electron-builder and Linux) and build/icon.ico (16-256 px, for the
// Windows executable, the console launcher and the installer). No dependencies: shapes are
// rendered with analytic anti-aliasing and encoded with node:zlib.
//
//   node build/make-icon.mjs [outDir]     (default: this folder)
import { crc32, deflateSync } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const clamp01 = (v) => (v < 0 ? 0 : v > 1 ? 1 : v);
const hex = (h) => [parseInt(h.slice(1, 3), 16), parseInt(h.slice(3, 5), 16), parseInt(h.slice(5, 7), 16)];

// Signed distance functions in a unit square (negative inside).
const roundedRect = (cx, cy, hw, hh, r) => (x, y) => {
  const qx = Math.abs(x - cx) - hw + r;
  const qy = Math.abs(y - cy) - hh + r;
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
};
const circle = (cx, cy, r) => (x, y) => Math.hypot(x - cx, y - cy) - r;
const capsule = (ax, ay, bx, by, r) => (x, y) => {
  const pax = x - ax, pay = y - ay, bax = bx - ax, bay = by - ay;
  const h = clamp01((pax * bax + pay * bay) / (bax * bax + bay * bay));
  return Math.hypot(pax - bax * h, pay - bay * h) - r;
};

/** Back-to-front list of [shape, colour(x, y) -> rgb]. */
const LAYERS = (() => {
  const top = hex('#2a6bb5');
  const bottom = hex('#163a6b');
  const gradient = (_x, y) => top.map((t, i) => t + (bottom[i] - t) * clamp01((y - 0.04) / 0.92));
  const solid = (h) => {
    const c = hex(h);
    return () => c;
  };
  return [
    [roundedRect(0.5, 0.5, 0.46, 0.46, 0.11), gradient],
    [roundedRect(0.44, 0.45, 0.27, 0.32, 0.035), solid('#f5f7fa')],
    [capsule(0.26, 0.26, 0.62, 0.26, 0.022), solid('#2a6bb5')],
    [capsule(0.26, 0.35, 0.62, 0.35, 0.016), solid('#9aa9bc')],
    [capsule(0.26, 0.43, 0.5, 0.43, 0.016), solid('#9aa9bc')],
    [capsule(0.61, 0.72, 0.56, 0.9, 0.04), solid('#b7790a')],
    [capsule(0.73, 0.72, 0.78, 0.9, 0.04), solid('#b7790a')],
    [circle(0.67, 0.65, 0.145), solid('#e8a317')],
    [circle(0.67, 0.65, 0.1), solid('#f6c14b')],
    [circle(0.67, 0.65, 0.055), solid('#e8a317')],
  ];
})();

/** RGBA pixels (top-down rows) of the icon at size x size. */
export function renderIcon(size) {
  const px = new Uint8Array(size * size * 4);
  const pixel = 1 / size;
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const x = (i + 0.5) / size;
      const y = (j + 0.5) / size;
      let r = 0, g = 0, b = 0, a = 0;
      for (const [sdf, colour] of LAYERS) {
        const cover = clamp01(0.5 - sdf(x, y) / pixel);
        if (cover === 0) continue;
        const [cr, cg, cb] = colour(x, y);
        // "over" compositing with premultiplied accumulation
        r = cr * cover + r * (1 - cover);
        g = cg * cover + g * (1 - cover);
        b = cb * cover + b * (1 - cover);
        a = cover + a * (1 - cover);
      }
      const o = (j * size + i) * 4;
      px[o] = a > 0 ? Math.round(r / a) : 0;
      px[o + 1] = a > 0 ? Math.round(g / a) : 0;
      px[o + 2] = a > 0 ? Math.round(b / a) : 0;
      px[o + 3] = Math.round(a * 255);
    }
  }
  return px;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

/** PNG (8-bit RGBA, non-interlaced) with per-row adaptive filtering (None/Sub/Up/Paeth). */
export function encodePng(rgba, width, height) {
  const stride = width * 4;
  const rows = [];
  const prev = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = rgba.subarray(y * stride, (y + 1) * stride);
    const above = y === 0 ? prev : rgba.subarray((y - 1) * stride, y * stride);
    let best = null;
    let bestScore = Infinity;
    for (const type of [0, 1, 2, 4]) {
      const out = Buffer.alloc(stride + 1);
      out[0] = type;
      let score = 0;
      for (let i = 0; i < stride; i++) {
        const left = i >= 4 ? row[i - 4] : 0;
        const up = above[i];
        const ul = i >= 4 ? above[i - 4] : 0;
        let pred = 0;
        if (type === 1) pred = left;
        else if (type === 2) pred = up;
        else if (type === 4) {
          const p = left + up - ul;
          const pa = Math.abs(p - left), pb = Math.abs(p - up), pc = Math.abs(p - ul);
          pred = pa <= pb && pa <= pc ? left : pb <= pc ? up : ul;
        }
        const v = (row[i] - pred) & 0xff;
        out[i + 1] = v;
        score += v < 128 ? v : 256 - v;
      }
      if (score < bestScore) {
        bestScore = score;
        best = out;
      }
    }
    rows.push(best);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows), { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** 32-bit BGRA DIB as stored in .ico files: bottom-up rows, then an all-zero AND mask. */
function encodeIcoBitmap(rgba, size) {
  const header = Buffer.alloc(40);
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // XOR + AND masks
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  const pixels = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const s = (y * size + x) * 4;
      const d = ((size - 1 - y) * size + x) * 4;
      pixels[d] = rgba[s + 2];
      pixels[d + 1] = rgba[s + 1];
      pixels[d + 2] = rgba[s];
      pixels[d + 3] = rgba[s + 3];
    }
  }
  const maskStride = Math.ceil(size / 32) * 4;
  return Buffer.concat([header, pixels, Buffer.alloc(maskStride * size)]);
}

/** .ico with BMP entries for small sizes and a PNG entry for 256 px (Windows Vista and later). */
export function encodeIco(sizes) {
  const images = sizes.map((size) => {
    const rgba = renderIcon(size);
    return { size, data: size >= 256 ? encodePng(rgba, size, size) : encodeIcoBitmap(rgba, size) };
  });
  const header = Buffer.alloc(6 + 16 * images.length);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2); // icon
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, data }, i) => {
    const e = 6 + i * 16;
    header[e] = size >= 256 ? 0 : size;
    header[e + 1] = size >= 256 ? 0 : size;
    header.writeUInt16LE(1, e + 4); // planes
    header.writeUInt16LE(32, e + 6); // bits per pixel
    header.writeUInt32LE(data.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.data)]);
}

export const ICO_SIZES = [16, 24, 32, 48, 64, 256];

export function writeIcons(outDir) {
  mkdirSync(outDir, { recursive: true });
  const png = encodePng(renderIcon(512), 512, 512);
  const ico = encodeIco(ICO_SIZES);
  writeFileSync(join(outDir, 'icon.png'), png);
  writeFileSync(join(outDir, 'icon.ico'), ico);
  return { png: png.length, ico: ico.length };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const here = dirname(fileURLToPath(import.meta.url));
  const outDir = resolve(process.argv[2] ?? here);
  const sizes = writeIcons(outDir);
  console.log(`wrote ${join(outDir, 'icon.png')} (${sizes.png} bytes) and ${join(outDir, 'icon.ico')} (${sizes.ico} bytes)`);
}
