#!/usr/bin/env node
// PKCS#12 speed in-process, at the production iteration count (600,000), against Node's own
// crypto doing the same primitive work in the same process:
//   encode: our encodePkcs12 (600k PBKDF2-SHA256 x2 for the two bags + 1.2M-iteration
//           PKCS#12-KDF MAC, derived concurrently)
//   decode: our decodePkcs12 on that file (the same three derivations, then checks)
//   reference: three concurrent crypto.pbkdf2(..., 600000, 32, 'sha256') calls. One PBKDF2
//           iteration is two SHA-256 compressions, one PKCS#12-KDF iteration over a 32-byte
//           digest is one, so the MAC's 1.2M equals the third 600k PBKDF2 in hashing work.
// These figures are in-process and labelled so; what an admin experiences (whole process
// against whole `openssl pkcs12` process) is in certificate-ops.mjs.
//
//   npx tsc -p tsconfig.build.json && node bench/pkcs12.mjs [runs]
import { execFile } from 'node:child_process';
import { createPrivateKey, pbkdf2, randomBytes, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);
const OPENSSL = process.env.OPENSSL ?? 'openssl';
const ITERATIONS = 600_000;
const PASSWORD = 'correct horse battery staple';
const MODULE = new URL('../dist/core/pki/pkcs12/index.js', import.meta.url);

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

/**
 * Runs the benchmark, prints the report (unless quiet) and returns the timings in milliseconds.
 * @param {{ runs?: number, quiet?: boolean }} [options]
 */
export async function benchPkcs12({ runs = 5, quiet = false } = {}) {
  const result = await measure(runs, quiet ? () => {} : (line) => console.error(line));
  if (!quiet) console.log(report(result));
  return result;
}

async function measure(runs, log) {
  let lib;
  try {
    lib = await import(MODULE.href);
  } catch (e) {
    throw new Error(`cannot load ${fileURLToPath(MODULE)} (run "npx tsc -p tsconfig.build.json" first): ${e.message}`, { cause: e });
  }
  const { encodePkcs12, decodePkcs12 } = lib;
  const dir = await mkdtemp(join(tmpdir(), 'bench-pkcs12-'));
  // OpenSSL only makes the key and certificate the runs encode; it is not timed here.
  const openssl = (args) => run(OPENSSL, args, { maxBuffer: 16 * 1024 * 1024 });
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=bench.example', '-days', '2', '-keyout', keyFile, '-out', certFile]);
    const privateKey = createPrivateKey(await readFile(keyFile));
    const certificate = new X509Certificate(await readFile(certFile)).raw;

    const derive = promisify(pbkdf2);
    const nodeReference = () => Promise.all([0, 1, 2].map(() => derive(PASSWORD, randomBytes(16), ITERATIONS, 32, 'sha256')));
    const t = { oursEncode: [], oursDecode: [], nodeReference: [] };
    for (let i = 0; i < runs; i++) {
      const enc = await timed(() => encodePkcs12({ privateKey, certificate }, PASSWORD, { iterations: ITERATIONS }));
      t.oursEncode.push(enc.ms);
      t.nodeReference.push((await timed(nodeReference)).ms);
      const dec = await timed(() => decodePkcs12(enc.value, PASSWORD));
      if (!dec.value.certificate.equals(certificate)) throw new Error('our decode returned the wrong certificate');
      t.oursDecode.push(dec.ms);
      log(`run ${i + 1}/${runs}: encode ${enc.ms.toFixed(0)} ms, decode ${dec.ms.toFixed(0)} ms, node pbkdf2 x3 ${t.nodeReference[i].toFixed(0)} ms`);
    }
    const medians = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
    return {
      iterations: ITERATIONS,
      runs,
      samples: t,
      medians,
      ratios: { encode: medians.oursEncode / medians.nodeReference, decode: medians.oursDecode / medians.nodeReference },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function report(r) {
  const ms = (x) => `${x.toFixed(0).padStart(5)} ms`;
  return [
    `In-process PKCS#12 at ${r.iterations} iterations (median of ${r.runs}; reference = Node's crypto.pbkdf2, 3 x ${r.iterations} concurrently)`,
    `  encode  ours ${ms(r.medians.oursEncode)}   node crypto ${ms(r.medians.nodeReference)}   ratio ${r.ratios.encode.toFixed(2)}`,
    `  decode  ours ${ms(r.medians.oursDecode)}   node crypto ${ms(r.medians.nodeReference)}   ratio ${r.ratios.decode.toFixed(2)}`,
  ].join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.argv[2] ?? 5);
  benchPkcs12({ runs })
    .then(() => undefined)
    .catch((e) => {
      console.error(e.message);
      process.exitCode = 1;
    });
}
