/**
 * Audit entries in the Windows Event Log (Application log, source CertificateManager), where
 * SIEM tools already collect events. One event per entry; the event id names the operation and
 * the result (docs/audit.md), the message holds the entry as readable lines and its JSON.
 *
 * Through Windows PowerShell's Write-EventLog, run by its full path under %SystemRoot%. The
 * entry travels on standard input as JSON; the command line is a fixed script with nothing from
 * the entry in it, so no account name, path or agent-supplied text can become a command. The first
 * event registers the source (which needs elevation, as changing the store does); when it
 * cannot, the event is skipped: the audit log itself is the record.
 *
 * The platform and the runner are injected, so the Windows logic is tested on Linux.
 */
import { execFile } from 'node:child_process';
import type { AuditEntry } from '../audit/entry.js';
import { auditEventNumber } from '../audit-operations.js';

export type StdinRunner = (file: string, args: string[], stdin: string) => Promise<string>;

export interface EventLogOptions {
  platform?: NodeJS.Platform;
  run?: StdinRunner;
  systemRoot?: string;
}

const EVENT_SOURCE = 'CertificateManager';

/** Event ids: 1000 + the operation's number for a change; 2000 + it for a refusal. */
export function eventIdOf(entry: Pick<AuditEntry, 'operation' | 'result'>): number {
  return (entry.result === 'ok' ? 1000 : 2000) + auditEventNumber(entry.operation);
}

const SCRIPT = [
  "$ErrorActionPreference = 'Stop'",
  '$e = [Console]::In.ReadToEnd() | ConvertFrom-Json',
  `if (-not [System.Diagnostics.EventLog]::SourceExists('${EVENT_SOURCE}')) { New-EventLog -LogName Application -Source '${EVENT_SOURCE}' }`,
  `Write-EventLog -LogName Application -Source '${EVENT_SOURCE}' -EventId ([int]$e.id) -EntryType $e.type -Category 0 -Message ([string]$e.message)`,
].join('; ');

/** The PowerShell command line: fixed, with nothing of the entry in it. */
export function eventLogCommand(systemRoot: string): { file: string; args: string[] } {
  return {
    file: `${systemRoot}\\System32\\WindowsPowerShell\\v1.0\\powershell.exe`,
    args: ['-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-Command', SCRIPT],
  };
}

/** What goes on standard input: the event id, its level, and the message an admin reads. */
export function eventPayload(entry: AuditEntry): { id: number; type: 'Information' | 'Warning'; message: string } {
  const lines = [
    `CertificateManager: ${entry.operation} ${entry.result === 'ok' ? 'done' : `refused (${entry.code ?? 'unknown'})`}`,
    `Account: ${entry.account}`,
    `Computer: ${entry.machine}`,
    `From: ${entry.via === 'app' ? 'the app' : 'the command line'}`,
    `Certificate before: ${entry.fingerprintBefore ?? '-'}`,
    `Certificate after: ${entry.fingerprintAfter ?? '-'}`,
    `Audit entry: ${entry.seq} (${entry.hash})`,
    '',
    JSON.stringify(entry),
  ];
  return { id: eventIdOf(entry), type: entry.result === 'ok' ? 'Information' : 'Warning', message: lines.join('\r\n') };
}

const defaultRunner: StdinRunner = (file, args, stdin) =>
  new Promise((resolve, reject) => {
    const child = execFile(file, args, { windowsHide: true, timeout: 15_000, maxBuffer: 64 * 1024 }, (error, stdout) => (error ? reject(error) : resolve(stdout)));
    child.stdin?.end(stdin);
  });

/** Writes the entry to the Event Log on Windows; nothing elsewhere. Best effort: never throws. */
export async function writeToEventLog(entry: AuditEntry, options: EventLogOptions = {}): Promise<boolean> {
  if ((options.platform ?? process.platform) !== 'win32') return false;
  const { file, args } = eventLogCommand(options.systemRoot ?? process.env['SystemRoot'] ?? 'C:\\Windows');
  try {
    await (options.run ?? defaultRunner)(file, args, JSON.stringify(eventPayload(entry)));
    return true;
  } catch {
    return false;
  }
}
