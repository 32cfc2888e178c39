// The certificate operations an admin runs, each against OpenSSL's CLI doing the same job in
// the same run, at the same parameters:
//   generate: RSA-3072 key + self-signed certificate  vs  openssl req -x509 -newkey rsa:3072
//   backup:   the whole -b (PKCS#12 at 600,000 PBKDF2 iterations, zip, durable write)
//             vs  openssl pkcs12 -export -iter 600000 (OpenSSL's MAC then gets 600,000 KDF
//             iterations; ours gets 1,200,000, the equivalent cost, so we do more work)
//   restore:  verify-backup (structure, hashes, MAC, decryption, checks; no store write)
//             vs  openssl pkcs12 -in -nodes
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCertificate, backupCertificate, inspectBackup } from '../dist/core/ops/index.js';
import { openssl, timeRuns, ms, ratio } from './lib.mjs';

export async function benchCertificateOps({ runs = 5 } = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'cm-bench-'));
  const pw = 'benchmark password';
  try {
    let n = 0;
    const generate = await timeRuns(runs, () => generateCertificate({ dataDir: join(dir, `g${n++}`) }, { password: pw, keySize: 3072 }).then(() => undefined));
    // generate also writes its automatic backup (PKCS#12 at 600k); time the key+cert part alone too.
    const { generateRsaKeyPair } = await import('../dist/core/pki/keys.js');
    const { createSelfSignedCertificate } = await import('../dist/core/pki/certificate.js');
    const keyAndCert = await timeRuns(runs, async () => {
      const { privateKey } = await generateRsaKeyPair(3072);
      createSelfSignedCertificate({ privateKey, commonName: 'bench' });
    });
    const opensslGenerate = await timeRuns(runs, (i) => openssl(['req', '-x509', '-newkey', 'rsa:3072', '-nodes', '-keyout', join(dir, `k${i}.pem`), '-out', join(dir, `c${i}.pem`), '-subj', '/CN=bench', '-days', '1095']));

    const store = join(dir, 'g0');
    const backup = await timeRuns(runs, (i) => backupCertificate({ dataDir: store }, { password: pw, outPath: join(dir, `b${i}.zip`) }));
    const opensslBackup = await timeRuns(runs, (i) => openssl(['pkcs12', '-export', '-iter', '600000', '-inkey', join(dir, 'k0.pem'), '-in', join(dir, 'c0.pem'), '-out', join(dir, `o${i}.p12`), '-passout', 'stdin'], pw));
    const restore = await timeRuns(runs, (i) => inspectBackup({ dataDir: store }, { path: join(dir, `b${i}.zip`), password: pw }));
    const opensslRestore = await timeRuns(runs, (i) => openssl(['pkcs12', '-in', join(dir, `o${i}.p12`), '-nodes', '-passin', 'stdin'], pw));

    const rows = [
      ['generate key + certificate (RSA-3072)', keyAndCert, opensslGenerate],
      ['generate (-g, incl. its automatic backup)', generate, opensslGenerate],
      ['backup (-b, 600k PBKDF2 + 1.2M MAC KDF)', backup, opensslBackup],
      ['restore check (verify-backup)', restore, opensslRestore],
    ];
    console.log(`\nCertificate operations (median of ${runs}; ratio = ours / OpenSSL CLI, lower is better)`);
    for (const [name, ours, ref] of rows) console.log(`  ${name.padEnd(44)} ours ${ms(ours)}   openssl ${ms(ref)}   ${ratio(ours, ref)}`);
    console.log('  note: RSA key generation time varies run to run (random prime search).');
    return Object.fromEntries(rows.map(([name, ours, ref]) => [name, { ours, openssl: ref, ratio: ours / ref }]));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await benchCertificateOps();
