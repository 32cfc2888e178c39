// Shared helpers for the benchmarks: medians, whole-process timing, interleaved pairs, OpenSSL.
import { spawn, spawnSync } from 'node:child_process';

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** In-process timing: the median of `runs` calls of fn, in milliseconds. */
export async function timeRuns(runs, fn) {
  const times = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await fn(i);
    times.push(performance.now() - start);
  }
  return median(times);
}

/**
 * Whole-process timing: from spawn to exit, in milliseconds, as an admin's runbook sees it.
 * A command is [file, ...args]; several commands run one after the other (e.g. OpenSSL's key
 * generation then its PKCS#12 export) and count as one. Output is read and dropped; a non-zero
 * exit is an error (a failed run is not a fast run).
 */
export async function timeProcess(commands, { env = process.env, input } = {}) {
  const steps = Array.isArray(commands[0]) ? commands : [commands];
  const start = performance.now();
  for (const [file, ...args] of steps) {
    await new Promise((resolve, reject) => {
      const child = spawn(file, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      let stderr = '';
      child.stdout.resume();
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${stderr.trim().split('\n')[0]}`))));
      child.stdin.on('error', () => {}); // a command that never reads its input may exit first
      child.stdin.end(input ?? '');
    });
  }
  return performance.now() - start;
}

/**
 * Runs `ours` and `reference` alternately (A B A B ...), after one unmeasured warm-up of each,
 * so that background load and CPU frequency hit both alike. Returns both medians and the
 * median of the per-pair ratios, which is what the targets are checked against.
 */
export async function interleaved(runs, ours, reference) {
  await ours(-1);
  await reference(-1);
  const a = [];
  const b = [];
  const ratios = [];
  for (let i = 0; i < runs; i++) {
    const x = await ours(i);
    const y = await reference(i);
    a.push(x);
    b.push(y);
    ratios.push(x / y);
  }
  return { ours: median(a), reference: median(b), ratio: median(ratios) };
}

export function openssl(args, input) {
  const r = spawnSync('openssl', args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
  return r.stdout;
}

export const ms = (n) => `${n.toFixed(0).padStart(6)} ms`;
export const ratio = (ours, reference) => `${(ours / reference).toFixed(2)}x`;
/** "1.23x (target <= 1.5: met)" */
export const verdict = (r, target) => `${r.toFixed(2)}x (target <= ${target}: ${r <= target ? 'met' : 'NOT MET'})`;
