/**
 * The reason backups exist: the server's machine is lost, and a new one is set up from what the
 * admin kept - the backup zip, or only a .pfx of the current certificate. The new data folder
 * starts empty (no signing counter, no agent records). The agents, which never heard of any of
 * this, must keep accepting the server's messages and must follow the next renewal, without
 * anyone touching them.
 */
import { describe, expect, it, beforeAll } from 'vitest';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { backupCertificate, restoreCertificate } from '../../core/ops/index.js';
import { MemoryAgentStorage } from '../../core/agent/index.js';
import { encodePkcs12 } from '../../core/pki/pkcs12/index.js';
import { fingerprintSha256 } from '../../core/trust/index.js';
import { tempDir } from '../helpers/temp.js';
import { currentSigner, makeStore, PASSWORD, renew, startServer, waitFor } from './helpers.js';
import { testAgent, type TestAgent } from '../agent/kit.js';
import { fixtureContext } from '../helpers/fixtures.js';

let oldDir: string;
let agent: TestAgent;
let zip: string;
let pfx: string;
let current: Awaited<ReturnType<typeof currentSigner>>;

beforeAll(async () => {
  // Life before the loss: two renewals, and an agent that followed both and took many messages.
  oldDir = await makeStore('cm-dr-old-');
  const first = await currentSigner(oldDir);
  const old = await startServer(oldDir);
  agent = testAgent({ serverUrl: old.url, certificate: first.certificate });
  await renew(oldDir);
  await renew(oldDir);
  await waitFor(() => old.snapshot().version === 3, 'version 3');
  for (let i = 0; i < 3; i++) expect((await agent.agent.runOnce()).refused).toEqual([]);
  current = await currentSigner(oldDir);
  expect((await agent.storage.loadTrust())!.state.version).toBe(3);

  const keep = await tempDir('cm-dr-kept-');
  zip = (await backupCertificate(fixtureContext(oldDir), { password: PASSWORD, outPath: join(keep, 'backup.zip') })).path;
  pfx = join(keep, 'server.pfx');
  await writeFile(pfx, await encodePkcs12({ privateKey: current.privateKey, certificate: current.certificate }, PASSWORD, { iterations: 1000 }));
  await old.close();
});

/** The same agent (same trust state, same replay counters), now talking to the new machine. */
function sameAgentAgainst(url: string): TestAgent {
  return testAgent({ serverUrl: url, certificate: current.certificate, storage: Object.assign(new MemoryAgentStorage({ trust: agent.storage.trust, meta: agent.storage.meta }), { agentKey: agent.storage.agentKey }) });
}

describe('a new machine set up from what the admin kept', () => {
  for (const kept of ['the backup zip', 'only a .pfx'] as const)
    it(`from ${kept}: agents keep accepting the server and follow its next renewal`, async () => {
      const newDir = join(await tempDir('cm-dr-new-'), 'data');
      await restoreCertificate(fixtureContext(newDir), { path: kept === 'the backup zip' ? zip : pfx, password: PASSWORD, exportable: true });
      const server = await startServer(newDir);
      const a = sameAgentAgainst(server.url);

      const after = await a.agent.runOnce();
      expect(after.refused).toEqual([]);
      expect(a.storage.spool).toHaveLength(0);

      await renew(newDir);
      const renewed = await currentSigner(newDir);
      await waitFor(() => server.snapshot().fingerprintSha256 === fingerprintSha256(renewed.certificate), 'the renewed feed');
      const followed = await a.agent.runOnce();
      expect(followed.refused).toEqual([]);
      expect((await a.storage.loadTrust())!.state.fingerprintSha256).toBe(fingerprintSha256(renewed.certificate));
    });

  it('from only a .pfx, renewed at once (the lost key is suspect): agents that missed the window still follow', async () => {
    const newDir = join(await tempDir('cm-dr-renewed-'), 'data');
    await restoreCertificate(fixtureContext(newDir), { path: pfx, password: PASSWORD, exportable: true });
    // Version 1 -> 2 on the new machine; the agent knew the restored certificate as version 3.
    await renew(newDir);
    const renewed = await currentSigner(newDir);
    const server = await startServer(newDir);
    const a = sameAgentAgainst(server.url);
    const report = await a.agent.runOnce();
    expect(report.refused).toEqual([]);
    expect((await a.storage.loadTrust())!.state).toMatchObject({ fingerprintSha256: fingerprintSha256(renewed.certificate), version: 2 });
  });
});

