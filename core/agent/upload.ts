/**
 * Upload of the spool (when due, every 60 minutes with jitter, or forced): POST spooled
 * records in batches; a record leaves the spool only when a verified acknowledgement names its
 * content. A failed upload is retried with exponential back-off; the schedule survives restarts.
 */
import { randomUUID } from 'node:crypto';
import type { AuthFailureRecord } from '../schemas.js';
import { API_PATHS, LIMITS, UploadAckSchema, newNonce, recordSha256, requestSha256 } from '../protocol/wire.js';
import type { AgentIO } from './io.js';
import type { TrustSession } from './session.js';
import { DEFAULT_BACKOFF, DEFAULT_UPLOAD_INTERVAL_MINUTES, type CycleReport } from './types.js';

/** Upload batches per cycle; a larger spool drains over the next cycles. */
const MAX_BATCHES_PER_UPLOAD = 20;

export class Uploader {
  constructor(private readonly io: AgentIO) {}

  intervalMs(): number {
    return (this.io.options.uploadIntervalMinutes ?? this.io.cachedMeta()?.settings?.logUploadIntervalMinutes ?? DEFAULT_UPLOAD_INTERVAL_MINUTES) * 60_000;
  }

  /** When the next upload is due (ms since the epoch), Infinity when not scheduled yet. */
  nextAt(): number {
    const at = this.io.cachedMeta()?.upload.nextAt;
    return at ? Date.parse(at) : Infinity;
  }

  async due(): Promise<boolean> {
    const meta = await this.io.loadMeta();
    const now = this.io.now().getTime();
    if (meta.upload.nextAt === null) {
      // First run: a random point in the first interval, so a fleet installed at once spreads out.
      const nextAt = new Date(now + this.io.random() * this.intervalMs()).toISOString();
      await this.io.saveMeta((m) => (m.upload = { nextAt, attempts: 0 }));
      return false;
    }
    return now >= Date.parse(meta.upload.nextAt);
  }

  private async forgetRepeats(ids: readonly string[]): Promise<void> {
    const meta = await this.io.loadMeta();
    if (ids.some((id) => id in meta.repeats)) await this.io.saveMeta((m) => ids.forEach((id) => delete m.repeats[id]));
  }

  private async schedule(success: boolean): Promise<void> {
    const now = this.io.now().getTime();
    const interval = this.intervalMs();
    if (success) {
      const nextAt = new Date(now + interval * (0.9 + 0.2 * this.io.random())).toISOString();
      await this.io.saveMeta((m) => (m.upload = { nextAt, attempts: 0 }));
      return;
    }
    const meta = await this.io.loadMeta();
    const attempts = meta.upload.attempts + 1;
    const base = this.io.options.backoff?.baseMs ?? DEFAULT_BACKOFF.baseMs;
    const ceiling = Math.min(this.io.options.backoff?.maxMs ?? DEFAULT_BACKOFF.maxMs, interval);
    const delay = Math.min(ceiling, base * 2 ** Math.min(attempts - 1, 30));
    // "Equal jitter": half the delay fixed, half random, so retries of a fleet spread out.
    const nextAt = new Date(now + delay / 2 + (this.io.random() * delay) / 2).toISOString();
    await this.io.saveMeta((m) => (m.upload = { nextAt, attempts }));
    this.io.emit({ type: 'upload-failed', attempts, nextAt });
  }

  async upload(session: TrustSession | null, report: CycleReport): Promise<void> {
    const io = this.io;
    const meta = await io.loadMeta();
    // Records already sent in this attempt: a batch whose answer did not hold is kept, and the
    // next batch is tried, so one bad answer does not keep every later record off the server.
    const tried = new Set<string>();
    let ok = true;
    for (let batchNo = 0; batchNo < MAX_BATCHES_PER_UPLOAD; batchNo++) {
      const batch = (await io.storage.readSpool()).filter((r) => !tried.has(r.id)).slice(0, LIMITS.uploadBatchRecords);
      if (batch.length === 0) break;
      for (const r of batch) tried.add(r.id);
      const nonce = newNonce();
      // Records spooled under an earlier identity (agent.json recreated) are this machine's too;
      // a record that repeated says how often, and when last.
      const repeats = (await io.loadMeta()).repeats;
      const outgoing = batch.map((r) => withRepeats({ ...r, agentId: meta.agentId }, repeats[r.id]));
      // Records go without their agentId (the upload names it once; the server fills it in):
      // a quarter of the body, hashed, parsed and checked on both ends for nothing.
      const records = outgoing.map(({ agentId: _agentId, ...record }) => record);
      const request = JSON.stringify({ agentId: meta.agentId, nonce, sentAt: io.now().toISOString(), records });
      const sent = requestSha256(request);
      const bytes = await io.post(API_PATHS.authFailures, request, sent, report);
      // No answer (an outage), or no trusted certificate to check the answer with: keep the records, retry later.
      if (!bytes || !session) {
        ok = false;
        break;
      }
      // After one answer did not hold, the rest are still delivered (the server stores them
      // once, whatever happens later), but not judged again: one refusal per attempt is enough.
      if (!ok) continue;
      const message = await session.accept(bytes, 'endpoint-response', report, false);
      if (message === null || message === 'repeat') {
        ok = false;
        continue;
      }
      const ack = UploadAckSchema.safeParse(message.body);
      if (!ack.success || ack.data.agentId !== meta.agentId || ack.data.nonce !== nonce) {
        await io.refuse(report, 'endpoint-response', ack.success ? 'replay' : 'malformed', 'The upload acknowledgement does not answer this upload', message.signerFingerprintSha256);
        ok = false;
        continue;
      }
      await session.commit(message);
      if (ack.data.requestSha256 !== sent) {
        // Rewritten on the way: the server now holds other content under these ids, and would
        // call the true records duplicates later. So they are spooled again under new ids (the
        // originals' ids go into the detail), and the attempt stops: the refusal is not sent
        // through the same path that just rewrote an upload.
        await io.storage.appendFailures(outgoing.map((r) => ({ ...r, id: randomUUID(), detail: `${r.detail ?? ''} [sent again as a new record: upload ${r.id} was altered on the way]`.trim().slice(0, 1024) })));
        await io.storage.removeFromSpool(new Set(batch.map((r) => r.id)));
        await this.forgetRepeats(batch.map((r) => r.id));
        await io.refuse(report, 'endpoint-response', 'request-altered', 'The server received another upload than this agent sent', message.signerFingerprintSha256);
        ok = false;
        break;
      }
      // A record leaves the spool only when the server says it holds *this content* under its id.
      // Other content under one of our ids (stored by an earlier, altered upload) means the true
      // record is not on the server: it is spooled again under a new id.
      if (ack.data.stored.length !== outgoing.length) {
        await io.refuse(report, 'endpoint-response', 'malformed', 'The upload acknowledgement does not name one stored content per record sent', message.signerFingerprintSha256);
        ok = false;
        continue;
      }
      const acknowledged = new Set<string>();
      const done = new Set<string>();
      const displaced: AuthFailureRecord[] = [];
      outgoing.forEach((r, i) => {
        const held = ack.data.stored[i];
        if (held === null || held === undefined) return;
        done.add(r.id);
        if (held === recordSha256(r)) acknowledged.add(r.id);
        else displaced.push({ ...r, id: randomUUID(), detail: `${r.detail ?? ''} [sent again as a new record: the server holds other content under ${r.id}]`.trim().slice(0, 1024) });
      });
      // Spooled again under new ids first, so a crash between the two writes loses nothing.
      if (displaced.length > 0) await io.storage.appendFailures(displaced);
      await io.storage.removeFromSpool(done);
      await this.forgetRepeats([...done]);
      report.uploaded += acknowledged.size;
      io.emit({ type: 'uploaded', count: acknowledged.size, duplicates: ack.data.duplicates });
    }
    await this.schedule(ok);
  }
}

/** A spooled record as uploaded: with how often it repeated, and when last, in its detail. */
function withRepeats(record: AuthFailureRecord, repeat: { count: number; last: string } | undefined): AuthFailureRecord {
  if (!repeat) return record;
  const note = `(refused ${repeat.count} times in all, the last at ${repeat.last})`;
  // The note is kept whole; the original detail gives way if the two do not fit.
  const detail = record.detail ? `${record.detail.slice(0, 1024 - note.length - 1)} ${note}` : note;
  return { ...record, detail };
}
