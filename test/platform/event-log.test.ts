/**
 * Issue #14: each audit entry also goes to the Windows Event Log (Application, source
 * CertificateManager), with the platform and the runner injected. The exact command is fixed
 * and carries nothing of the entry; the entry travels on standard input.
 */
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { auditFields, chainEntry } from '../../core/audit/entry.js';
import { appendAuditEntry } from '../../core/audit/log.js';
import { AUDIT_OPERATIONS } from '../../core/audit-operations.js';
import { eventIdOf, eventLogCommand, eventPayload, writeToEventLog } from '../../core/platform/event-log.js';
import { tempDir } from '../helpers/temp.js';

const recorder = () => {
  const calls: Array<{ file: string; args: string[]; stdin: string }> = [];
  return { calls, run: async (file: string, args: string[], stdin: string) => (calls.push({ file, args, stdin }), '') };
};

describe('Windows Event Log', () => {
  it('runs Windows PowerShell by its full path with a fixed script; the entry goes on stdin', async () => {
    // A hostile account name and path: quotes, semicolons, a PowerShell subexpression.
    const entry = chainEntry(
      { ...auditFields({ operation: 'restore', result: 'refused', code: 'WRONG_PASSWORD', details: { from: "C:\\x'; Remove-Item C:\\ -Recurse; '$(calc).zip" } }, 'app'), account: "CORP\\o'brien;$(calc)" },
      null,
    );
    const r = recorder();
    expect(await writeToEventLog(entry, { platform: 'win32', run: r.run, systemRoot: 'D:\\Windows' })).toBe(true);
    expect(r.calls).toHaveLength(1);
    const call = r.calls[0]!;
    expect(call.file).toBe('D:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe');
    expect(call.args).toEqual([
      '-NoProfile',
      '-NonInteractive',
      '-ExecutionPolicy',
      'Bypass',
      '-Command',
      "$ErrorActionPreference = 'Stop'; $e = [Console]::In.ReadToEnd() | ConvertFrom-Json; if (-not [System.Diagnostics.EventLog]::SourceExists('CertificateManager')) { New-EventLog -LogName Application -Source 'CertificateManager' }; Write-EventLog -LogName Application -Source 'CertificateManager' -EventId ([int]$e.id) -EntryType $e.type -Category 0 -Message ([string]$e.message)",
    ]);
    expect(call.args).toEqual(eventLogCommand('D:\\Windows').args);
    for (const arg of call.args) expect(arg).not.toMatch(/brien|Remove-Item|calc/);
    const payload = JSON.parse(call.stdin);
    expect(payload).toMatchObject({ id: 2003, type: 'Warning' });
    expect(payload.message).toContain("Account: CORP\\o'brien;$(calc)");
    expect(payload.message).toContain('restore refused (WRONG_PASSWORD)');
  });

  it('documented ids: 1000 + operation for a change, 2000 + operation for a refusal', async () => {
    expect(eventIdOf({ operation: 'generate', result: 'ok' })).toBe(1001);
    expect(eventIdOf({ operation: 'renew', result: 'ok' })).toBe(1004);
    expect(eventIdOf({ operation: 'renew', result: 'refused' })).toBe(2004);
    expect(eventIdOf({ operation: 'settings', result: 'ok' })).toBe(1008);
    const doc = await readFile(new URL('../../docs/audit.md', import.meta.url), 'utf8');
    for (const [operation, id] of [['generate', 1001], ['import', 1002], ['restore', 1003], ['renew', 1004], ['backup', 1005], ['export-agent-certificate', 1006], ['export-pfx', 1007], ['settings', 1008]] as const)
      expect(doc, operation).toMatch(new RegExp(`\\| ${id} \\| ${2000 + (id - 1000)} \\| \`${operation}\``));
    // Every operation the trail records, including one added later: its own number, documented.
    const ids = AUDIT_OPERATIONS.map((operation) => eventIdOf({ operation, result: 'ok' }));
    expect(new Set(ids).size).toBe(AUDIT_OPERATIONS.length);
    for (const operation of AUDIT_OPERATIONS) {
      const id = eventIdOf({ operation, result: 'ok' });
      expect(doc, operation).toMatch(new RegExp(`\\| ${id} \\| ${id + 1000} \\| \`${operation}\``));
    }
    expect(eventPayload(chainEntry(auditFields({ operation: 'backup' }, 'cli'), null)).type).toBe('Information');
  });

  it('elsewhere nothing runs; a failing PowerShell never fails the change', async () => {
    const r = recorder();
    const entry = chainEntry(auditFields({ operation: 'backup' }, 'cli'), null);
    expect(await writeToEventLog(entry, { platform: 'linux', run: r.run })).toBe(false);
    expect(r.calls).toHaveLength(0);
    expect(await writeToEventLog(entry, { platform: 'win32', run: async () => Promise.reject(new Error('source not registered')) })).toBe(false);
  });

  it('every entry appended to the audit log is sent, after it is safe in the log', async () => {
    const dataDir = await tempDir('cm-eventlog-');
    const r = recorder();
    const fields = auditFields({ operation: 'renew', fingerprintBefore: 'a'.repeat(64), fingerprintAfter: 'b'.repeat(64) }, 'cli');
    expect(await appendAuditEntry(dataDir, fields, { platform: 'win32', run: r.run })).toBe(true);
    const logged = JSON.parse((await readFile(join(dataDir, 'audit.jsonl'), 'utf8')).trim());
    expect(r.calls).toHaveLength(1);
    expect(JSON.parse(r.calls[0]!.stdin)).toMatchObject({ id: 1004, type: 'Information' });
    expect(JSON.parse(r.calls[0]!.stdin).message).toContain(`Audit entry: 1 (${logged.hash})`);
  });
});
