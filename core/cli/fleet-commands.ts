/**
 * serve, agent and -l: the server side and the reference agent (core/fleet, core/agent).
 *
 * `serve` and `agent` (without --once) run until SIGINT or SIGTERM, then stop cleanly (the
 * server writes agents.json, the agent finishes or cancels its cycle). `agent --once` runs one
 * cycle (feed, check-in, forced upload) and exits 0 when all went through, 4 when something
 * from the server was refused (and logged), 1 when the server could not be reached.
 */
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import { lockOwned } from '../store/owned-lock.js';
import { usageError, wrongState } from '../errors.js';
import { requireCertificate } from '../store/store.js';
import { fleetService } from '../fleet/service.js';
import { startFleetServer } from '../fleet/server.js';
import { Agent, type AgentEvent, type CycleReport } from '../agent/agent.js';
import { FileAgentStorage } from '../agent/storage.js';
import { HttpTransport } from '../agent/transport.js';
import { importTrustedCertificate, readCertificateFile, type ImportResult } from '../agent/provision.js';
import { fingerprintSha256, isTrustError } from '../trust/index.js';
import type { Command } from './commands.js';
import { packageVersion, type CliIo } from './io.js';

interface FleetCommandContext {
  dataDir: string;
  json: boolean;
  io: CliIo;
  out: (text: string) => void;
}

type FleetCommand = Extract<Command, { name: 'list-clients' | 'serve' | 'agent' }>;

export async function runFleetCommand(command: FleetCommand, context: FleetCommandContext): Promise<number> {
  switch (command.name) {
    case 'list-clients':
      return listClients(command.outPath, context);
    case 'serve':
      return serve(command, context);
    case 'agent':
      return command.action === 'import-cert' ? importCert(command, context) : runAgent(command, context);
  }
}

/** Resolves on the first SIGINT or SIGTERM. */
function untilSignal(): Promise<string> {
  return new Promise((done) => {
    const on = (signal: string) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      done(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

async function listClients(outPath: string, { dataDir, json, out }: FleetCommandContext): Promise<number> {
  await requireCertificate(dataDir);
  const result = await fleetService(dataDir).exportClientsCsv(outPath);
  out(json ? JSON.stringify(result, null, 2) : `Wrote ${result.count} client${result.count === 1 ? '' : 's'} without a valid certificate to ${result.path}`);
  return 0;
}

async function serve(command: Extract<FleetCommand, { name: 'serve' }>, { dataDir, json, io, out }: FleetCommandContext): Promise<number> {
  const publishDir = command.publishDir ? resolve(command.publishDir) : undefined;
  const server = await startFleetServer({ dataDir, host: command.host, port: command.port, publishDir, log: (line) => io.stderr.write(`${line}\n`) });
  const snapshot = server.snapshot();
  const facts = { url: server.url, feedUrl: server.feedUrl, dataDir, publishDir: publishDir ?? null, version: snapshot.version, fingerprintSha256: snapshot.fingerprintSha256 };
  out(
    json
      ? JSON.stringify(facts)
      : [
          `Serving on ${server.url} (certificate version ${snapshot.version}, ${snapshot.fingerprintSha256})`,
          `  Signed feed:  ${server.feedUrl}`,
          `  Agent API:    ${server.url}/api/v1/`,
          ...(publishDir ? [`  Also written to ${publishDir} for a static web server or CDN`] : []),
          '  Renewals and restores are picked up while running. Stop with Ctrl+C.',
        ].join('\n'),
  );
  await untilSignal();
  await server.close();
  if (!json) out('Stopped.');
  return 0;
}

function describeEvent(event: AgentEvent): string {
  switch (event.type) {
    case 'refused':
      return `Refused (${event.record.messageKind}): ${event.record.reason}. ${event.record.detail ?? ''} Logged as ${event.record.id}.`;
    case 'rotated':
      return `Followed the server's certificate renewal from version ${event.fromVersion} to ${event.toVersion}; now trusting ${event.fingerprintSha256}.`;
    case 'version-learnt':
      return `The trusted certificate is version ${event.version} (from the server's signed ${event.from === 'head' ? 'feed' : 'rotation chain'}).`;
    case 'settings':
      return `Settings from the server: upload auth-failure logs every ${event.settings.logUploadIntervalMinutes} minutes.`;
    case 'hotfix':
      return `Hotfix ${event.manifest.name} ${event.manifest.version} matched its signed manifest and was stored.`;
    case 'notice':
      return `Notice ${event.notice.id} (${event.notice.time}): ${event.notice.text}`;
    case 'checked-in':
      return event.trusted ? 'Checked in; the server confirms this agent trusts its current certificate.' : `Checked in; the server's certificate is version ${event.serverVersion}, which this agent does not trust yet.`;
    case 'uploaded':
      return `Uploaded ${event.count} auth-failure record${event.count === 1 ? '' : 's'}${event.duplicates ? ` (${event.duplicates} the server had already)` : ''}.`;
    case 'upload-failed':
      return `Uploading the auth-failure records failed (attempt ${event.attempts}); next try at ${event.nextAt}.`;
    case 'offline':
      return `Could not reach ${event.url}: ${event.message}.`;
    case 'error':
      return `Error: ${event.message}`;
  }
}

async function runAgent(command: Extract<FleetCommand, { name: 'agent' }>, { json, io, out }: FleetCommandContext): Promise<number> {
  if (!command.server) throw usageError('BAD_ARGUMENTS', 'Usage: certificatemanager agent --server <url> --state <folder> [--trust <cer>]');
  let server: URL;
  try {
    server = new URL(command.server);
  } catch {
    throw usageError('BAD_SERVER_URL', `--server takes an http(s) URL such as http://server:8443/, not ${command.server}.`);
  }
  if (server.protocol !== 'http:' && server.protocol !== 'https:') throw usageError('BAD_SERVER_URL', `--server takes an http(s) URL, not ${command.server}.`);
  const stateDir = resolve(command.state);
  const storage = new FileAgentStorage(stateDir);
  const say = (text: string) => (json ? undefined : out(text));

  if (command.trust) {
    const der = await readCertificateFile(command.trust);
    let existing: string | null | 'unreadable';
    try {
      existing = (await storage.loadTrust())?.state.fingerprintSha256 ?? null;
    } catch (error) {
      if (!isTrustError(error)) throw error;
      existing = 'unreadable';
    }
    if (existing === null) {
      const result = await importTrustedCertificate(storage, der);
      say(`Provisioned the agent in ${stateDir}: it trusts ${result.fingerprintSha256} (${result.subject}).`);
    } else if (existing !== fingerprintSha256(der)) {
      say(`The agent in ${stateDir} already has a trust state; --trust was ignored. To replace it, run: certificatemanager agent import-cert <cer> --state ${command.state}`);
    }
  } else if (!(await storage.exists())) {
    throw wrongState('AGENT_NO_TRUST', `The agent in ${stateDir} has no trusted certificate. Give --trust <cer> (export it on the server with certificatemanager -e <file>).`);
  }

  let release: () => Promise<void>;
  try {
    // An agent that crashed leaves its lock; its PID is gone, so it is taken over at once.
    release = await lockOwned(resolve(stateDir, 'agent'), { lockfilePath: resolve(stateDir, 'agent.lock'), realpath: false, stale: 10_000, update: 2_000, retries: 0 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOCKED') throw wrongState('AGENT_RUNNING', `Another agent is running on ${stateDir}. Stop it first.`);
    throw error;
  }
  const transport = new HttpTransport();
  try {
    const agent = new Agent({
      serverUrl: server,
      storage,
      transport,
      agentVersion: packageVersion(),
      hostname: hostname(),
      uploadIntervalMinutes: command.uploadIntervalMinutes,
      onEvent: (event) => (json ? out(JSON.stringify({ event })) : event.type === 'refused' || event.type === 'error' ? io.stderr.write(`${describeEvent(event)}\n`) : out(describeEvent(event))),
    });
    if (command.once) {
      const report = await agent.runOnce({ checkIn: 'always', upload: 'force' });
      if (json) out(JSON.stringify({ report: { agentId: await agent.agentId(), ...report } }));
      else say(summarize(report, await agent.agentId()));
      return report.refused.length > 0 ? 4 : report.offline ? 1 : 0;
    }
    say(`Agent ${await agent.agentId()} running against ${server.href} (state in ${stateDir}). Stop with Ctrl+C.`);
    agent.start();
    await untilSignal();
    await agent.stop();
    say('Stopped.');
    return 0;
  } finally {
    transport.destroy();
    await release().catch(() => undefined);
  }
}

function summarize(report: CycleReport, agentId: string): string {
  const lines = [`Agent ${agentId}: trusts ${report.fingerprintSha256 ?? 'no readable certificate'}${report.version ? ` (version ${report.version})` : ''}.`];
  if (report.rotatedBy) lines.push(`  Followed ${report.rotatedBy} renewal${report.rotatedBy === 1 ? '' : 's'}.`);
  lines.push(`  Checked in: ${report.checkedIn ? 'yes' : 'no'}. Records uploaded: ${report.uploaded}. Refused: ${report.refused.length}.`);
  if (report.offline) lines.push('  The server could not be reached for part of the cycle; the agent tries again later.');
  return lines.join('\n');
}

function describePrevious(previous: ImportResult['previous']): string {
  if (previous === 'none') return 'It had no trust state before.';
  if (previous === 'unreadable') return 'Its previous trust state was unreadable (damaged or tampered with).';
  return `Before, it trusted ${previous.fingerprintSha256} (version ${previous.version}).`;
}

async function importCert(command: Extract<FleetCommand, { name: 'agent' }>, { json, out }: FleetCommandContext): Promise<number> {
  const stateDir = resolve(command.state);
  const der = await readCertificateFile(command.certPath!);
  const result = await importTrustedCertificate(new FileAgentStorage(stateDir), der);
  out(
    json
      ? JSON.stringify({ stateDir, ...result }, null, 2)
      : [
          `Replaced the agent's trust state in ${stateDir}: it now trusts ${result.fingerprintSha256} (${result.subject}).`,
          `  ${describePrevious(result.previous)}`,
          '  Replay counters and the list of replaced certificates start empty.',
          "  At its next check the agent learns this certificate's version from the server's signed feed and follows renewals again.",
          `  Kept: the agent id ${result.agentId}, its settings, and its unsent auth-failure records.`,
        ].join('\n'),
  );
  return 0;
}
