import { mkdtemp, readdir, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll } from 'vitest';

/** A fresh temporary folder, removed after the test file. */
export async function tempDir(prefix = 'cm-test-'): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  afterAll(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/**
 * A byte-exact picture of a store: path -> SHA-256 of every file. The audit log may grow and
 * the lock comes and goes, so both are left out, as the issue allows.
 */
export async function snapshotTree(root: string, ignore: (rel: string) => boolean = (rel) => rel === 'audit.log' || rel === 'audit.jsonl' || rel.startsWith('store.lock') || rel.startsWith('audit.lock')): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  async function walk(dir: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(dir);
    } catch {
      return;
    }
    for (const name of names.sort()) {
      const full = join(dir, name);
      const rel = relative(root, full);
      if (ignore(rel)) continue;
      const info = await stat(full);
      if (info.isDirectory()) {
        out[rel + '/'] = 'dir';
        await walk(full);
      } else out[rel] = createHash('sha256').update(await readFile(full)).digest('hex');
    }
  }
  await walk(root);
  return out;
}
