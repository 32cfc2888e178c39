/**
 * The production renderer build: CSP-safe HTML (no inline script or style), no source maps,
 * component styles emitted as CSS files, no zod in the bundle, and the 150 kB gzip budget.
 * Builds into a temporary folder so it never races the e2e build of dist/renderer.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll } from 'vitest';

const JS_BUDGET_GZIP = 150 * 1024;
let outDir = '';
const files: string[] = [];

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = path.join(dir, n);
    return statSync(p).isDirectory() ? walk(p) : [p];
  });
}

beforeAll(() => {
  outDir = mkdtempSync(path.join(os.tmpdir(), 'cm-renderer-build-'));
  execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--config', 'renderer/vite.config.ts', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'error'], {
    stdio: 'pipe',
    env: { ...process.env, NODE_ENV: 'production' },
  });
  files.push(...walk(outDir));
}, 120_000);

afterAll(() => {
  if (outDir) rmSync(outDir, { recursive: true, force: true });
});

describe('renderer production build', () => {
  it('references scripts and styles by file only (CSP: script-src/style-src self)', () => {
    const html = readFileSync(path.join(outDir, 'index.html'), 'utf8');
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attrs, body] of scripts) {
      expect(attrs).toMatch(/\bsrc=/);
      expect(body!.trim()).toBe('');
    }
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle=/i);
    expect(html).not.toMatch(/\son[a-z]+=/i);
    expect(html).toMatch(/<link rel="stylesheet"[^>]*href="\.\/assets\/[^"]+\.css"/);
  });

  it('emits component styles as CSS files, not injected at run time', () => {
    const css = files.filter((f) => f.endsWith('.css'));
    expect(css.length).toBeGreaterThan(0);
    const allCss = css.map((f) => readFileSync(f, 'utf8')).join('\n');
    // Scoped component rules (svelte-<hash>) are in the CSS file.
    expect(allCss).toMatch(/\.svelte-[a-z0-9]+/);
    const js = files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(f, 'utf8')).join('\n');
    // Svelte's injected-CSS path appends <style> elements; with css: 'external' it is not used.
    expect(js).not.toMatch(/svelte-[a-z0-9]+\{[^}]*\}/);
  });

  it('has no source maps and no eval', () => {
    expect(files.filter((f) => f.endsWith('.map'))).toEqual([]);
    const js = files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(js).not.toMatch(/sourceMappingURL/);
    expect(js).not.toMatch(/\beval\(|new Function\(/);
  });

  it('does not bundle zod (only types come from the contract)', () => {
    const js = files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(js).not.toMatch(/ZodError|zod\.dev|_zod/);
  });

  it(`keeps the production JavaScript within ${JS_BUDGET_GZIP / 1024} kB gzipped`, () => {
    const gz = files.filter((f) => f.endsWith('.js')).reduce((sum, f) => sum + gzipSync(readFileSync(f), { level: 9 }).length, 0);
    expect(gz).toBeGreaterThan(10_000);
    expect(gz).toBeLessThanOrEqual(JS_BUDGET_GZIP);
  });

  it('contains both languages', () => {
    const js = files.filter((f) => f.endsWith('.js')).map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(js).toContain('新しい証明書を生成する');
    expect(js).toContain('Generate a new certificate');
  });
});
