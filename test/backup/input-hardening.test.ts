/**
 * Hostile and unusual input (zip structure, PKCS#12 contents, standard input,
 * command line), errors after the commit point, and the status --json format.
 * Backups are built in-process at 1,000 iterations. What reads standard input runs the CLI as a
 * real process with a real pipe; the rest calls the CLI's main function in this process
 * (test/cli/in-process.ts).
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { writeFileSync, rmSync, readdirSync } from 'node:fs';
import { deflateRawSync, crc32 } from 'node:zlib';
import { join } from 'node:path';
import unzipper from 'unzipper';
import { backupCertificate, generateCertificate, renewCertificate, restoreCertificate } from '../../core/ops/index.js';
import { readStore } from '../../core/store/store.js';
import { parseBackupBytes, openBackup } from '../../core/backup/read.js';
import { encodePkcs12 } from '../../core/pki/pkcs12/index.js';
import { createSelfSignedCertificate } from '../../core/pki/certificate.js';
import { cli, startCli, messageLines } from '../helpers/cli.js';
import { runInProcess } from '../cli/in-process.js';
import { snapshotTree, tempDir } from '../helpers/temp.js';
import { fixtureContext as ctx } from '../helpers/fixtures.js';
import { testPrivateKey } from '../helpers/test-keys.js';

const pw = 'review password 2026';
let root: string;
let store: string;
let goodZip: string;
let good: Map<string, Buffer>;

interface Entry {
  name: string;
  /** The name written in the local file header (defaults to the central directory's). */
  localName?: string;
  data: Buffer;
}

/** A zip writer that can make the local header disagree with the central directory, or write a zip64 end record. */
function zip(entries: Entry[], options: { zip64Records?: number; decoyZip64Records?: number; zipComment?: Buffer } = {}): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const lname = Buffer.from(e.localName ?? e.name);
    const body = deflateRawSync(e.data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x800, 6);
    local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc32(e.data), 14);
    local.writeUInt32LE(body.length, 18);
    local.writeUInt32LE(e.data.length, 22);
    local.writeUInt16LE(lname.length, 26);
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(20, 4);
    c.writeUInt16LE(20, 6);
    c.writeUInt16LE(0x800, 8);
    c.writeUInt16LE(8, 10);
    c.writeUInt32LE(crc32(e.data), 16);
    c.writeUInt32LE(body.length, 20);
    c.writeUInt32LE(e.data.length, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt32LE(offset, 42);
    locals.push(local, lname, body);
    centrals.push(c, name);
    offset += 30 + lname.length + body.length;
  }
  if (options.decoyZip64Records !== undefined) {
    // The last central entry's comment carries a zip64 record, its locator and a decoy end
    // record that points a reader at them: a complete zip64 ending, inside a comment.
    const cdLength = Buffer.concat(centrals).length + 98;
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeBigUInt64LE(BigInt(options.decoyZip64Records), 24);
    z.writeBigUInt64LE(BigInt(options.decoyZip64Records), 32);
    z.writeBigUInt64LE(BigInt(cdLength), 40);
    z.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    // The zip64 record starts right after the last entry's name, where the comment begins.
    locator.writeBigUInt64LE(BigInt(offset + Buffer.concat(centrals).length), 8);
    locator.writeUInt32LE(1, 16);
    const decoy = Buffer.alloc(22);
    decoy.writeUInt32LE(0x06054b50, 0);
    decoy.writeUInt16LE(0xffff, 8);
    decoy.writeUInt16LE(0xffff, 10);
    decoy.writeUInt16LE(5, 20);
    const last = centrals.length - 2; // [header, name] of the last entry
    const comment = Buffer.concat([z, locator, decoy]);
    centrals[last]!.writeUInt16LE(comment.length, 32);
    centrals.push(comment);
  }
  const cd = Buffer.concat(centrals);
  const parts = [...locals, cd];
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  if (options.zip64Records !== undefined) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(options.zip64Records), 24);
    z.writeBigUInt64LE(BigInt(options.zip64Records), 32);
    z.writeBigUInt64LE(BigInt(cd.length), 40);
    z.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + cd.length), 8);
    locator.writeUInt32LE(1, 16);
    parts.push(z, locator);
    end.writeUInt16LE(0xffff, 8);
    end.writeUInt16LE(0xffff, 10);
    end.writeUInt32LE(0xffffffff, 12);
    end.writeUInt32LE(0xffffffff, 16);
  } else {
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(cd.length, 12);
    end.writeUInt32LE(offset, 16);
  }
  if (options.zipComment) end.writeUInt16LE(options.zipComment.length, 20);
  parts.push(end, options.zipComment ?? Buffer.alloc(0));
  return Buffer.concat(parts);
}

function oneCleanLine(stderr: string): void {
  const lines = messageLines(stderr);
  expect(lines, stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^certificatemanager: /);
  expect(stderr).not.toMatch(/\n\s+at |Unexpected error/);
}

beforeAll(async () => {
  root = await tempDir('cm-input-');
  store = join(root, 'store');
  await generateCertificate(ctx(store), { password: pw, keySize: 2048 });
  goodZip = join(root, 'good.zip');
  await backupCertificate(ctx(store), { password: pw, outPath: goodZip });
  const dir = await unzipper.Open.file(goodZip);
  good = new Map(await Promise.all(dir.files.map(async (f) => [f.path, await f.buffer()] as [string, Buffer])));
}, 60_000);

describe('certificate checks before restore', () => {
  it('a PKCS#12 whose certificate signature was tampered with is refused (issue: "signature valid")', async () => {
    // inspect.ts only verifies when x.checkIssued(x) is true, and OpenSSL's check_issued
    // refuses an issuer whose keyUsage lacks keyCertSign: exactly our own certificates
    // (keyUsage = digitalSignature). So the signature of a leaf is never verified.
    const k = testPrivateKey();
    const der = createSelfSignedCertificate({ privateKey: k, commonName: 'tampered' });
    const bad = Buffer.from(der);
    bad[bad.length - 7]! ^= 0xff; // inside the signature BIT STRING
    const pfx = join(root, 'tampered.pfx');
    await writeFile(pfx, await encodePkcs12({ privateKey: k, certificate: bad }, pw, { iterations: 1000 }));
    const dataDir = join(root, 'tampered-store');
    await expect(restoreCertificate(ctx(dataDir), { path: pfx, password: pw, exportable: true })).rejects.toMatchObject({ kind: 'bad-input', code: 'CERT_BAD_SIGNATURE' });
  });
});

/** `-r` of a hostile file: exit 4 with one clean line, the store untouched; killed after 8 s otherwise. */
async function expectRestoreRefusedAtOnce(path: string, whatAHangMeans: string): Promise<void> {
  const before = await snapshotTree(store);
  const { child, done } = startCli(['-r', pw, path], { dataDir: store });
  const timer = setTimeout(() => child.kill('SIGKILL'), 8_000);
  const r = await done;
  clearTimeout(timer);
  expect(r.code, `killed after 8 s: ${whatAHangMeans}`).toBe(4);
  oneCleanLine(r.stderr);
  expect(await snapshotTree(store)).toEqual(before);
}

describe('zip hardening', () => {
  it('a 300-byte zip64 file that declares 4 billion entries is refused quickly (exit 4), not a hang', async () => {
    const path = join(root, 'zip64-records.zip');
    await writeFile(path, zip([{ name: 'manifest.json', data: Buffer.from('{}') }], { zip64Records: 4_000_000_000 }));
    await expectRestoreRefusedAtOnce(path, 'the reader spins in unzipper over Array(numberOfRecords)');
  }, 20_000);

  it('a decoy end record (zip64, 2^32-1 entries) hidden in the last entry\'s comment is refused at once, not read by unzipper', async () => {
    // unzipper takes the first end-record signature in the last 80 bytes; the real one is last.
    const path = join(root, 'decoy-eocd.zip');
    await writeFile(path, zip([...good].map(([name, data]) => ({ name, data })), { decoyZip64Records: 0xffffffff }));
    await expectRestoreRefusedAtOnce(path, 'unzipper read the decoy');
  }, 20_000);

  it('a zip comment (which backups never have) is refused; without it the same zip opens', async () => {
    const entries = [...good].map(([name, data]) => ({ name, data }));
    await expect(parseBackupBytes(zip(entries, { zipComment: Buffer.from('made elsewhere') }))).rejects.toMatchObject({ kind: 'bad-input', code: 'BACKUP_DAMAGED' });
    await expect(parseBackupBytes(zip(entries))).resolves.toBeTruthy();
  });

  it('entries whose local header names differ from the central directory (../../ in the local header) are refused as hostile', async () => {
    const bytes = zip([...good].map(([name, data]) => ({ name, localName: `../../evil/${name}`, data })));
    // Other zip tools extract by the local names; this reader ignores them.
    await expect(parseBackupBytes(bytes)).rejects.toMatchObject({ kind: 'bad-input' });
  });

  it('sanity: the same writer with matching names makes a backup that opens', async () => {
    const bytes = zip([...good].map(([name, data]) => ({ name, data })));
    await expect(openBackup(await parseBackupBytes(bytes), pw)).resolves.toBeTruthy();
  });
});

describe('errors after the commit point', () => {
  it('-g whose audit line cannot be written reports failure although it committed the certificate', async () => {
    const dataDir = join(root, 'audit-fails');
    await mkdir(join(dataDir, 'audit.jsonl'), { recursive: true }); // appendFile -> EISDIR (stands for ENOSPC, an AV lock, ...)
    let failed = false;
    try {
      await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    } catch {
      failed = true;
    }
    const committed = (await readStore(dataDir)) !== null;
    // Either it succeeds, or it fails and nothing was committed: never "failed" with a new certificate in place.
    expect({ failed, committed }).not.toEqual({ failed: true, committed: true });
  });
});

describe('output paths', () => {
  it('-e onto an existing folder: exit 4 with a one-line message that says what to do', async () => {
    const folder = join(root, 'a-folder');
    await mkdir(folder);
    const r = await runInProcess(['-e', folder], { dataDir: store });
    expect(r.code, r.stderr).toBe(4);
    oneCleanLine(r.stderr);
  });
});

describe('password from standard input', () => {
  it('the --help example pipes without a space before "|" (cmd.exe would send "PASSWORD \\r\\n"), and that form works', async () => {
    const help = await runInProcess(['--help']);
    expect(help.stdout).toContain('echo %PASSWORD%| certificatemanager');
    expect(help.stdout).not.toContain('% |');
    const r = await cli(['verify-backup', '-', goodZip], { dataDir: store, stdin: `${pw}\r\n` });
    expect(r.code, r.stderr).toBe(0);
  });

  it('a UTF-8 byte order mark (Notepad, PowerShell 5 Out-File -Encoding utf8) is not part of the password', async () => {
    const r = await cli(['verify-backup', '-', goodZip], { dataDir: store, stdin: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(`${pw}\r\n`)]) });
    expect(r.code, r.stderr).toBe(0);
  });

  it('-g - < password.txt with a UTF-16LE file (PowerShell 5 "> password.txt") either refuses or protects the backup with that password', async () => {
    const dataDir = join(root, 'utf16');
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(`${pw}\r\n`, 'utf16le')]);
    const r = await cli(['-g', '-', '--key-size', '2048', '--json'], { dataDir, stdin: utf16 });
    if (r.code !== 0) {
      expect(r.code).toBe(2);
      return;
    }
    // Accepted: the automatic backup must open with the password the admin wrote in the file.
    const { backupPath } = JSON.parse(r.stdout) as { backupPath: string };
    await expect(openBackup(await parseBackupBytes(await readFile(backupPath)), pw)).resolves.toBeTruthy();
  }, 30_000);

  it('empty, newline-only and 100 KB inputs: exit 2, one line, store unchanged', async () => {
    const before = await snapshotTree(store);
    for (const stdin of ['', '\n', '\r\n', 'x'.repeat(100_000)]) {
      const r = await cli(['-c', '-', '--key-size', '2048'], { dataDir: store, stdin });
      expect(r.code, JSON.stringify(stdin.slice(0, 10)) + r.stderr).toBe(2);
      oneCleanLine(r.stderr);
    }
    expect(await snapshotTree(store)).toEqual(before);
  });
});

describe('passwords are never printed and never stored', () => {
  it('a password that starts with "--" is not echoed to stderr', async () => {
    const secret = '--Corr3ct-Horse-Battery';
    const r = await runInProcess(['-b', secret, join(root, 'dash.zip')], { dataDir: store });
    expect(r.stderr + r.stdout).not.toContain(secret);
  });

  it('no password bytes (UTF-8, UTF-16LE, UTF-16BE) anywhere in the data folder or the backups', async () => {
    const dataDir = join(root, 'grep');
    const p1 = 'Grep-Me-Pässwörd-One';
    const p2 = 'Grep-Me-Pässwörd-Two';
    const g = await generateCertificate(ctx(dataDir), { password: p1, keySize: 2048 });
    const out = join(root, 'grep.zip');
    await backupCertificate(ctx(dataDir), { password: p1, outPath: out });
    const c = await renewCertificate(ctx(dataDir), { password: p2, keySize: 2048 });
    const files: string[] = [out, g.backupPath, c.backupPath];
    async function walk(dir: string): Promise<void> {
      for (const name of await readdir(dir)) {
        const full = join(dir, name);
        if ((await stat(full)).isDirectory()) await walk(full);
        else files.push(full);
      }
    }
    await walk(dataDir);
    const needles = [p1, p2].flatMap((p) => [Buffer.from(p, 'utf8'), Buffer.from(p, 'utf16le'), Buffer.from(p, 'utf16le').swap16(), Buffer.from(p, 'latin1')]);
    for (const f of files) {
      const data = await readFile(f);
      for (const n of needles) expect(data.includes(n), f).toBe(false);
    }
  });
});

describe('status --json', () => {
  it('has the fields and formats the issue names', async () => {
    const r = await runInProcess(['status', '--json'], { dataDir: store });
    expect(r.code, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    const iso = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/;
    expect(s.current.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(s.current.notBefore).toMatch(iso);
    expect(s.current.notAfter).toMatch(iso);
    expect(s.current.keyAlgorithm).toBe('RSA');
    expect(s.current.keySize).toBe(2048);
    expect(typeof s.current.exportable).toBe('boolean');
    expect(s.current.subject).toMatch(/CN=/);
    expect(s.current.serialNumber).toMatch(/^[0-9a-f]+$/);
    expect(Array.isArray(s.replaced)).toBe(true);
  });
});

describe('the advice of a "store is damaged" error works', () => {
  // store.ts: "The certificate store is damaged (...). Restore the certificate from a backup with -r."
  // but restore reads the damaged store first (readStore / loadPrivateKey of the base) and fails the same way.
  it.each([
    ['CURRENT overwritten', (d: string) => writeFileSync(join(d, 'CURRENT'), 'garbage\n')],
    ['state.json missing', (d: string) => rmSync(join(d, 'generations', readdirSync(join(d, 'generations')).sort().at(-1)!, 'state.json'))],
    ['key.pem missing (quarantined by an antivirus)', (d: string) => rmSync(join(d, 'generations', readdirSync(join(d, 'generations')).sort().at(-1)!, 'key.pem'))],
  ])('%s: -r <good backup> repairs it', async (_label, damage) => {
    const dataDir = join(root, `damaged-${_label.split(' ')[0]}`);
    // A store holding another certificate than the backup, so the key.pem case is a real replacement.
    await generateCertificate(ctx(dataDir), { password: pw, keySize: 2048 });
    damage(dataDir);
    // Every command that meets the damage (status, -c, -b, or -r itself) gives this advice.
    const r = await runInProcess(['-r', pw, goodZip], { dataDir });
    expect(r.code, r.stderr).toBe(0);
    expect((await runInProcess(['status', '--json'], { dataDir })).code).toBe(0);
  });
});
