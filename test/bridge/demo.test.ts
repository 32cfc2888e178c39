// The README's "try it in a browser" command: `node scripts/demo.mjs` starts the bridge under
// plain Node (TypeScript loaded through Vite's module runner), prints a working URL, and stops
// cleanly on a signal.
import { spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';

it('node scripts/demo.mjs serves the contract until stopped', async () => {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cm-demo-'));
  const child = spawn(process.execPath, ['scripts/demo.mjs', '--data-dir', dataDir], { stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    let output = '';
    child.stderr.on('data', (c: Buffer) => (output += c.toString()));
    const pageUrl = await new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (c: Buffer) => {
        output += c.toString();
        const m = /open:\s+(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]{64})/.exec(output);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`demo exited early (${code}): ${output}`)));
    });
    expect(output).toContain(dataDir);
    const page = await fetch(pageUrl);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('/__bridge-client.js');
    const url = new URL(pageUrl);
    const token = url.searchParams.get('token')!;
    const status = await fetch(`${url.origin}/api/getStatus`, { method: 'POST', headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' }, body: '{}' });
    expect(await status.json()).toMatchObject({ ok: true, value: { dataDir, hasCertificate: false } });
  } finally {
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
});
