/**
 * Admins run one process per command, so what a command imports at start-up is most of what
 * `status` or `--version` costs. Each command loads only its own code: these run the real
 * compiled command with a module-resolution hook that records every module the process loads.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { writeModuleLogHook } from '../helpers/module-log.js';
import { generateCertificate } from '../../core/ops/generate.js';
import { backupCertificate } from '../../core/ops/backup.js';
import { fixtureContext } from '../helpers/fixtures.js';

let dir: string;
let store: string;
let register: string;

beforeAll(async () => {
  dir = await tempDir('cm-startup-');
  register = writeModuleLogHook(dir);
  store = join(dir, 'store');
  await generateCertificate(fixtureContext(store), { password: 'a long backup password', keySize: 2048 });
  await backupCertificate(fixtureContext(store), { password: 'a long backup password', outPath: join(dir, 'made-in-process.zip') });
}, 60_000);

/**
 * The modules one run of the command resolved: packages, and our own code as bin/ runs it (the
 * chunks of dist/cli/ by module name: "status" for status-1a2B3c4D.js). A package counts when
 * it was loaded from node_modules, or when a loaded chunk holds it: the bundler names each
 * package file it inlines in a "// node_modules/<package>/..." comment.
 */
function modulesLoadedBy(args: string[], name: string): { urls: string[]; imported: string[]; packages: string[]; fromNodeModules: string[]; ours: string[]; code: number | null; stdout: string } {
  const log = join(dir, `${name}.log`);
  writeFileSync(log, '');
  const run = spawnSync(process.execPath, ['--import', register, BIN, ...args], {
    env: { ...process.env, CM_MODULE_LOG: log, CERTIFICATEMANAGER_DATA_DIR: undefined },
    input: '',
    encoding: 'utf8',
  });
  // Each line is "import <url>" (the resolve hook) or "require <url>" (require's cache at exit).
  const lines = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  const imported = lines.flatMap((line) => (line.startsWith('import ') ? [line.slice(7)] : []));
  const urls = [...new Set(lines.map((line) => line.slice(line.indexOf(' ') + 1)))];
  const fromNodeModules = [...new Set(urls.flatMap((url) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url)?.[1] ?? []))];
  const bundled = urls
    .filter((url) => url.startsWith('file:') && url.includes('/dist/cli/'))
    .flatMap((url) => [...readFileSync(new URL(url), 'utf8').matchAll(/^\/\/ node_modules\/((?:@[^/]+\/)?[^/]+)\//gm)].map((m) => m[1]!));
  const packages = [...new Set([...fromNodeModules, ...bundled])];
  const ours = [...new Set(urls.flatMap((url) => /\/dist\/cli\/(.+?)(?:-[\w-]{8})?\.js$/.exec(url)?.[1] ?? []))];
  return { urls, imported, packages, fromNodeModules, ours, code: run.status, stdout: run.stdout };
}

const SERVER_AND_AGENT = ['fastify', 'jose', 'node-forge', 'proper-lockfile'];

describe('start-up loads only what the command needs', () => {
  it('--version and --help load no package and none of the core', () => {
    for (const args of [['--version'], ['--help']]) {
      const loaded = modulesLoadedBy(args, args[0]!.slice(2));
      expect(loaded.code).toBe(0);
      expect(loaded.packages).toEqual([]);
      expect(loaded.ours).toEqual(args[0] === '--help' ? ['main', 'help'] : ['main']);
    }
    // The bundle finds the package's version from dist/cli/ as the app's module does from dist/core/cli/.
    expect(modulesLoadedBy(['--version'], 'version-text').stdout.trim()).toBe(JSON.parse(readFileSync('package.json', 'utf8')).version);
  });

  it('status loads neither the server, the agent, the zip code nor the operations that write', () => {
    const loaded = modulesLoadedBy(['--data-dir', store, 'status'], 'status');
    expect(loaded.code).toBe(0);
    for (const name of SERVER_AND_AGENT) expect(loaded.packages).not.toContain(name);
    expect(loaded.ours).toContain('status');
    // zod is bundled in: ~80 small modules found and linked one by one cost more than status itself.
    expect(loaded.packages).toContain('zod');
    expect(loaded.fromNodeModules).not.toContain('zod');
    for (const name of ['fleet-commands', 'generate', 'backup', 'backup-of-store', 'restore', 'renew', 'read', 'pkcs12']) expect(loaded.ours).not.toContain(name);
  });

  it('-b loads the zip writer but not the server, the agent or the zip reader', () => {
    const loaded = modulesLoadedBy(['--data-dir', store, '-b', 'another long password', join(dir, 'b.zip')], 'backup');
    expect(loaded.code).toBe(0);
    // Zips are written and read by core/backup/zip.ts with node:zlib: no zip package at all.
    for (const name of ['fastify', 'jose', 'archiver', 'unzipper']) expect(loaded.packages).not.toContain(name);
    expect(loaded.ours).toContain('backup-of-store');
    expect(loaded.ours).not.toContain('read');
    expect(loaded.ours).not.toContain('fleet-commands');
  });

  it('verify-backup loads only the ASN.1 parts of node-forge, through require()', () => {
    const loaded = modulesLoadedBy(['--data-dir', store, 'verify-backup', 'a long backup password', join(dir, 'made-in-process.zip')], 'verify-backup');
    expect(loaded.code).toBe(0);
    for (const name of ['fastify', 'archiver', 'unzipper']) expect(loaded.packages).not.toContain(name);
    // core/pki/forge.ts: an import of CommonJS would first wait ~50 ms on Node 20 for Node's
    // CommonJS export scanner; the whole of forge (its index: TLS, PKCS#7, ...) is not needed.
    const forgeFiles = loaded.urls.flatMap((url) => /\/node_modules\/node-forge\/lib\/([\w.-]+)$/.exec(url)?.[1] ?? []);
    expect(forgeFiles).toContain('asn1.js');
    expect(loaded.imported.filter((url) => url.includes('/node_modules/node-forge/'))).toEqual([]);
    expect(forgeFiles).not.toContain('index.js');
    expect(forgeFiles).not.toContain('tls.js');
    expect(forgeFiles).not.toContain('pki.js');
  });
});
