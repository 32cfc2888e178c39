// `npm run bench`: every benchmark, each against its reference in the same run, with ratios.
import { existsSync } from 'node:fs';

const suites = [
  ['./certificate-ops.mjs', 'benchCertificateOps'],
  ['./pkcs12.mjs', 'benchPkcs12'],
  ['./fleet.mjs', 'benchFleet'],
  ['./renderer.mjs', 'benchRenderer'],
];
for (const [file, name] of suites) {
  if (!existsSync(new URL(file, import.meta.url))) {
    console.log(`\n(${file} is not present; skipped)`);
    continue;
  }
  const module = await import(file);
  await module[name]();
}
