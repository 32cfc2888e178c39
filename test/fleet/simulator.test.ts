/**
 * A thousand in-process agents against a real `certificatemanager serve` (a separate process
 * on 127.0.0.1, random port). The certificate is renewed by the core function while the server
 * runs; every agent converges; 100 agents that were offline through three renewals come back
 * and walk the chain; agents given tampered trust refuse, and their logs reach the server and
 * show up in `-l`.
 */
import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { claimedFingerprint } from '../../core/agent/index.js';
import { fleetService } from '../../core/fleet/index.js';
import { FleetSimulator, type SimulatedAgent } from '../../core/simulator/fleet-simulator.js';
import { fingerprintSha256 } from '../../core/trust/index.js';
import { readStore } from '../../core/store/store.js';
import { cli, startCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/temp.js';
import { currentFingerprint, makeStore, renew, waitFor } from './helpers.js';
import { makeIdentity } from '../agent/kit.js';

const AGENTS = 1000;
const OFFLINE = 100;
const TAMPERED = 20;

let dataDir: string;
let serve: ChildProcess;
let url: string;
let sim: FleetSimulator;
let tampered: SimulatedAgent[];
let offline: SimulatedAgent[];


/** Renews with the core function and waits until the running server signs with the new key. */
async function renewAndWait(): Promise<string> {
  await renew(dataDir);
  const fp = await currentFingerprint(dataDir);
  await waitFor(async () => claimedFingerprint(Buffer.from(await (await fetch(`${url}/feed/index.jws`)).arrayBuffer())) === fp, 'serve to sign with the renewed key');
  return fp;
}

async function trustedBy(agents: SimulatedAgent[]): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (const a of agents) {
    const fp = (await sim.trusted(a)) ?? 'none';
    counts.set(fp, (counts.get(fp) ?? 0) + 1);
  }
  return counts;
}

beforeAll(async () => {
  dataDir = await makeStore('cm-sim-');
  const started = startCli(['serve', '--port', '0', '--json'], { dataDir });
  serve = started.child;
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    serve.stdout!.on('data', (d: Buffer) => {
      text += d.toString();
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    void started.done.then((r) => reject(new Error(`serve exited: ${r.stderr}`)));
  });
  url = JSON.parse(line).url;
  const v1 = Buffer.from((await readStore(dataDir))!.state.current.certificateDer, 'base64');
  sim = new FleetSimulator({ serverUrl: url, count: AGENTS - TAMPERED, certificate: v1, version: 1 });
  const wrong = makeIdentity('tampered');
  tampered = Array.from({ length: TAMPERED }, (_, i) => sim.add(`tampered-${i}`, wrong.certificate, 1));
  offline = sim.agents.slice(0, OFFLINE);
});

afterAll(async () => {
  sim?.close();
  if (serve && serve.exitCode === null) {
    const exited = new Promise((r) => serve.once('exit', r));
    serve.kill('SIGTERM');
    await exited;
  }
});

describe(`a fleet of ${AGENTS} agents`, () => {
  it('all check in; the tampered ones refuse the feed and their responses', async () => {
    const { reports, ms } = await sim.runAll({ upload: 'force' });
    expect(reports.size).toBe(AGENTS);
    for (const a of sim.agents) {
      const r = reports.get(a.id)!;
      if (tampered.includes(a)) expect(r.refused.map((x) => x.reason)).toContain('untrusted-key');
      else expect(r.refused, a.id).toEqual([]);
    }
    console.log(`first cycle of ${AGENTS} agents: ${ms.toFixed(0)} ms`);
    await waitFor(async () => (await fleetService(dataDir).summary()).total === AGENTS, 'agents.json to list everyone');
    // The tampered ones refused the feed after their last verified head (none): refusing.
    expect(await fleetService(dataDir).summary()).toEqual({
      total: AGENTS,
      trustingCurrent: AGENTS - TAMPERED,
      withoutValidCertificate: TAMPERED,
      states: { current: AGENTS - TAMPERED, migrating: 0, stale: 0, refusing: TAMPERED },
    });
  });

  it('a renewal while serving: every agent converges', async () => {
    const fp = await renewAndWait();
    const { reports, ms } = await sim.runAll();
    const good = sim.agents.filter((a) => !tampered.includes(a));
    expect(await trustedBy(good)).toEqual(new Map([[fp, good.length]]));
    for (const a of good) expect(reports.get(a.id)!.rotatedBy).toBe(1);
    console.log(`${good.length} agents converged on the renewed certificate in ${ms.toFixed(0)} ms`);
  });

  it(`${OFFLINE} agents offline through three renewals come back and walk the chain`, async () => {
    for (const a of offline) a.online = false;
    // The whole fleet's convergence is the test above; here a hundred agents that stay online
    // follow each renewal as it comes, while the offline ones miss all three.
    const online = sim.agents.filter((a) => a.online && !tampered.includes(a)).slice(0, 100);
    let fp = '';
    for (let i = 0; i < 3; i++) {
      fp = await renewAndWait();
      await sim.runAll({}, (a) => online.includes(a));
      expect(await trustedBy(online)).toEqual(new Map([[fp, online.length]]));
    }
    const before = await trustedBy(offline);
    expect(before.has(fp)).toBe(false);
    for (const a of offline) a.online = true;
    const { reports } = await sim.runAll({}, (a) => offline.includes(a));
    for (const a of offline) {
      expect(reports.get(a.id)!.refused).toEqual([]);
      expect(reports.get(a.id)!.rotatedBy).toBe(3);
      expect(reports.get(a.id)!.version).toBe(5);
    }
    expect(await trustedBy(offline)).toEqual(new Map([[fp, OFFLINE]]));
    // The rest of the fleet did not run during the renewals either: it catches up the same way.
    const rest = sim.agents.filter((a) => !tampered.includes(a) && !online.includes(a) && !offline.includes(a));
    await sim.runAll({}, (a) => rest.includes(a));
    expect(await trustedBy(rest)).toEqual(new Map([[fp, rest.length]]));
  });

  it('the server sees it all: -l lists exactly the tampered agents, with their last failure', async () => {
    // The tampered agents keep refusing; their records keep reaching the server (deduplicated).
    await sim.runAll({ upload: 'force' }, (a) => tampered.includes(a));
    await waitFor(async () => (await fleetService(dataDir).summary()).trustingCurrent === AGENTS - TAMPERED, 'every good agent to have checked in with the current certificate', 30_000);
    const out = join(await tempDir(), 'clients.csv');
    const r = await cli(['-l', out], { dataDir });
    expect(r.code, r.stderr).toBe(0);
    const rows = (await readFile(out, 'utf8')).trimEnd().split('\r\n');
    expect(rows[0]).toBe('\uFEFFagent id,fingerprint trusted,last check-in,last failure reason,host name,agent version,last failure at,state');
    const listed = rows.slice(1).map((row) => row.split(','));
    expect(listed.map((cells) => cells[0]).sort()).toEqual(tampered.map((a) => a.id).sort());
    for (const cells of listed) {
      const agent = tampered.find((t) => t.id === cells[0])!;
      expect(cells[1]).toBe(fingerprintSha256((await agent.storage.loadTrust())!.state.certificate));
      // Its newest refusal: the feed's key (untrusted-key) or, after the renewals, the chain
      // that does not lead from its certificate (chain-broken), refused in the same cycle.
      expect(['untrusted-key', 'chain-broken']).toContain(cells[3]);
      expect(cells[7]).toBe('refusing');
    }
    const failures = await fleetService(dataDir).queryAuthFailures({ reason: 'untrusted-key', limit: 500 });
    expect(new Set(failures.records.map((f) => f.agentId))).toEqual(new Set(tampered.map((a) => a.id)));
  });
});
