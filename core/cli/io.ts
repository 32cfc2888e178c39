/**
 * What every command needs from its process: the standard streams and environment (CliIo, so
 * the app and tests can run commands in process), and the product's version. Its own module so
 * main.ts and the fleet commands both use it without importing each other.
 */
import { readFileSync } from 'node:fs';
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  env: Record<string, string | undefined>;
}

/** This module runs as dist/core/cli/main.js (the app) or bundled as dist/cli/main.js (bin/). */
const PACKAGE_JSON_CANDIDATES = ['../../../package.json', '../../package.json'];

export function packageVersion(): string {
  for (const candidate of PACKAGE_JSON_CANDIDATES) {
    try {
      const manifest = JSON.parse(readFileSync(new URL(candidate, import.meta.url), 'utf8')) as { name?: string; version: string };
      if (manifest.name === 'certificatemanager') return manifest.version;
    } catch {
      // not this one
    }
  }
  return 'unknown';
}
