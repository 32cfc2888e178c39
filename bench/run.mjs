// `npm run bench`: every benchmark, each against its reference in the same run, with ratios.
// Comparisons with OpenSSL are whole process against whole process (what an admin's runbook
// experiences); in-process figures are compared with Node's own crypto in the same process.
import { existsSync } from 'node:fs';

const suites = [
  ['./certificate-ops.mjs', 'benchCertificateOps'],
  ['./pkcs12.mjs', 'benchPkcs12'],
  ['./fleet.mjs', 'benchFleet'],
  ['./renderer.mjs', 'benchRenderer'],
];
const results = {};
for (const [file, name] of suites) {
  if (!existsSync(new URL(file, import.meta.url))) {
    console.log(`\n(${file} is not present; skipped)`);
    continue;
  }
  const module = await import(file);
  results[name] = await module[name]();
}

const ops = results.benchCertificateOps;
const p12 = results.benchPkcs12;
if (ops && p12) {
  const x = (r) => `${r.toFixed(2)}x`;
  console.log(
    [
      '',
      'Closing note',
      `  whole process vs whole process: status ${x(ops['status'].ratio)} and --version ${x(ops['--version'].ratio)} of node -e 0;` +
        ` -b ${x(ops['-b (backup zip)'].ratio)}, verify-backup ${x(ops['verify-backup'].ratio)}, -g ${x(ops['-g (key, certificate, backup)'].ratio)} of OpenSSL's CLI.`,
      `  in-process vs Node's crypto (same work, same process): PKCS#12 encode ${x(p12.ratios.encode)}, decode ${x(p12.ratios.decode)}.`,
      ...(results.benchRenderer?.startup
        ? [`  renderer: first-run wizard interactive in ${Math.round(results.benchRenderer.startup.median)} ms (budget 500 ms; into a new renderer process with Playwright's attach pause: ${Math.round(results.benchRenderer.startup.coldMedian)} ms).`]
        : []),
    ].join('\n'),
  );
}
