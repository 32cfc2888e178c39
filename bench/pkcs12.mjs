#!/usr/bin/env node
// PKCS#12 speed against the OpenSSL CLI at the production iteration count (600,000).
//
//   npx tsc -p tsconfig.build.json && node bench/pkcs12.mjs [runs]
//
// Compares, per run (interleaved so that background load hits both sides alike):
//   encode: our encodePkcs12 (600k PBKDF2 x2 + 1.2M-iteration MAC)
//           vs `openssl pkcs12 -export -iter 600000` (600k PBKDF2 x2 + 600k MAC)
//   decode: our decodePkcs12 on our file
//           vs `openssl pkcs12 -in ... -nodes` on OpenSSL's file
// and, for information, each side reading the other's file. Ours run in-process (timed around
// the call); OpenSSL is spawned (timed from spawn to exit), with real temp files and the
// password in an environment variable. Ratios are ours / openssl on the medians; the requirement
// is <= 1.5 for both.
import { execFile } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
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
  const env = { ...process.env, BENCH_P12_PASS: PASSWORD };
  const openssl = (args) => run(OPENSSL, args, { env, maxBuffer: 16 * 1024 * 1024 });
  try {
    const keyFile = join(dir, 'key.pem');
    const certFile = join(dir, 'cert.pem');
    await openssl(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=bench.example', '-days', '2', '-keyout', keyFile, '-out', certFile]);
    const privateKey = createPrivateKey(await readFile(keyFile));
    const certificate = new X509Certificate(await readFile(certFile)).raw;
    const oursFile = join(dir, 'ours.p12');
    const theirsFile = join(dir, 'openssl.p12');

    const t = { oursEncode: [], opensslEncode: [], oursDecode: [], opensslDecode: [], oursDecodesOpenssl: [], opensslDecodesOurs: [] };
    for (let i = 0; i < runs; i++) {
      const enc = await timed(() => encodePkcs12({ privateKey, certificate }, PASSWORD, { iterations: ITERATIONS }));
      t.oursEncode.push(enc.ms);
      await writeFile(oursFile, enc.value);

      t.opensslEncode.push(
        (await timed(() => openssl(['pkcs12', '-export', '-iter', String(ITERATIONS), '-inkey', keyFile, '-in', certFile, '-out', theirsFile, '-passout', 'env:BENCH_P12_PASS']))).ms,
      );

      const dec = await timed(() => decodePkcs12(enc.value, PASSWORD));
      if (!dec.value.certificate.equals(certificate)) throw new Error('our decode returned the wrong certificate');
      t.oursDecode.push(dec.ms);

      const theirs = await readFile(theirsFile);
      t.opensslDecode.push((await timed(() => openssl(['pkcs12', '-in', theirsFile, '-nodes', '-passin', 'env:BENCH_P12_PASS']))).ms);

      t.oursDecodesOpenssl.push((await timed(() => decodePkcs12(theirs, PASSWORD))).ms);
      t.opensslDecodesOurs.push((await timed(() => openssl(['pkcs12', '-in', oursFile, '-nodes', '-passin', 'env:BENCH_P12_PASS']))).ms);
      log(`run ${i + 1}/${runs}: encode ours ${enc.ms.toFixed(0)} ms, decode ours ${dec.ms.toFixed(0)} ms`);
    }
    const medians = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
    return {
      iterations: ITERATIONS,
      runs,
      samples: t,
      medians,
      firstRun: { oursEncode: t.oursEncode[0], oursDecode: t.oursDecode[0] },
      ratios: {
        encode: medians.oursEncode / medians.opensslEncode,
        decode: medians.oursDecode / medians.opensslDecode,
      },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export function report(r) {
  const ms = (x) => `${x.toFixed(0).padStart(5)} ms`;
  const lines = [
    `PKCS#12 at ${r.iterations} iterations, median of ${r.runs} runs`,
    `  encode  ours ${ms(r.medians.oursEncode)}   openssl pkcs12 -export ${ms(r.medians.opensslEncode)}   ratio ${r.ratios.encode.toFixed(2)}`,
    `  decode  ours ${ms(r.medians.oursDecode)}   openssl pkcs12 -in     ${ms(r.medians.opensslDecode)}   ratio ${r.ratios.decode.toFixed(2)}`,
    `  (ours reading openssl's file ${ms(r.medians.oursDecodesOpenssl)}; openssl reading ours ${ms(r.medians.opensslDecodesOurs)};` +
      ` our first, cold run: encode ${ms(r.firstRun.oursEncode)}, decode ${ms(r.firstRun.oursDecode)})`,
    `  requirement: ratios <= 1.5 -> ${r.ratios.encode <= 1.5 && r.ratios.decode <= 1.5 ? 'PASS' : 'FAIL'}`,
  ];
  return lines.join('\n');
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = Number(process.argv[2] ?? 5);
  benchPkcs12({ runs })
    .then((r) => {
      if (r.ratios.encode > 1.5 || r.ratios.decode > 1.5) process.exitCode = 1;
    })
    .catch((e) => {
      console.error(e.message);
      process.exitCode = 1;
    });
}
