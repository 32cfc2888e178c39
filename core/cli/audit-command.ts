/**
 * `certificatemanager audit [--verify [--head <index.jws>]] [--json]`: prints the audit trail,
 * and with --verify checks its chain (and, with --head, against a signed feed head). Loaded only
 * when `audit` runs.
 */
import { existsSync } from 'node:fs';
import { EXIT_CODES } from '../errors.js';
import { readAuditTrail, settleAuditLog } from '../audit/log.js';
import { STORE_MARKER } from '../store/store.js';
import type { Command, RunEnv } from './commands.js';

export async function runAudit(command: Extract<Command, { name: 'audit' }>, { context: { dataDir }, json, io, out, print }: RunEnv): Promise<number> {
  // Only in our own folder: a mistyped --data-dir gets no lock folder from us.
  if (existsSync(`${dataDir}/${STORE_MARKER}`)) await settleAuditLog(dataDir);
  let trail = await readAuditTrail(dataDir);
  let against: string | null = null;
  if (command.headPath) {
    const { readHeadFile, readSignedHead, checkAgainstHead, HeadNotUsable } = await import('../audit/signed-head.js');
    try {
      const head = await readSignedHead(dataDir, await readHeadFile(command.headPath));
      trail = checkAgainstHead(trail, head);
      // A head signed before the log had an entry (or by a version without the commitment) checks nothing: say so.
      against = head.committed
        ? ` and against the feed head signed at ${head.signedAt} (entry ${head.committed.seq})`
        : ` (the feed head signed at ${head.signedAt} names no audit entry, so it checks nothing: take a newer one)`;
    } catch (error) {
      if (!(error instanceof HeadNotUsable) && (error as NodeJS.ErrnoException).code === undefined) throw error;
      io.stderr.write(`certificatemanager: ${command.headPath} cannot be used: ${(error as Error).message}. Take index.jws from the feed folder or a mirror of this server.\n`);
      return EXIT_CODES['bad-input'];
    }
  }
  if (json) print({ entries: trail.entries, verified: trail.broken === null, broken: trail.broken }, '');
  else
    out(
      trail.entries.length === 0
        ? `No audit entries yet in ${dataDir}.`
        : trail.entries
            .map((e) => {
              const fp = e.fingerprintAfter ?? e.fingerprintBefore;
              return `${e.seq}  ${e.time}  ${e.operation}  ${e.result}${e.code ? ` (${e.code})` : ''}  ${e.account}@${e.machine} via ${e.via}${fp ? `  ${fp.slice(0, 16)}…` : ''}`;
            })
            .join('\n'),
    );
  if (command.verify && trail.broken) {
    // Exit 4 like any input that does not verify; the entries that did were printed above.
    const where = trail.broken.line === null ? '' : ` at entry ${trail.broken.line}`;
    io.stderr.write(`certificatemanager: The audit log does not verify${where}: ${trail.broken.reason}. Keep the file as evidence and compare it with the Windows Event Log.\n`);
    return EXIT_CODES['bad-input'];
  }
  if (command.verify && !json) out(`Verified ${trail.entries.length} entr${trail.entries.length === 1 ? 'y' : 'ies'}${against ?? ''}: nothing was changed, removed or reordered.`);
  return 0;
}
