import type { Collection, Db } from 'mongodb';
import type { SmsStatus } from '../domain/sms';
import { statusCallbackId, type StatusCallbackOutcome } from '../domain/statusCallback';
import { upsertRacing } from './upsert';

/** One status callback as far as it got: written by its own workflow, never by the message's. */
export interface CallbackRecord {
  /** `callback-<messageId>-<sequence>`, the workflow id. */
  _id: string;
  message_id: string;
  sequence: number;
  status: SmsStatus;
  /** The receiver's host only: a URL may carry the caller's own tokens in its path or query. */
  host: string;
  failed_attempts: number;
  last_error?: string;
  last_http_status?: number;
  outcome?: StatusCallbackOutcome['outcome'];
  reason?: string;
  updated_at: Date;
  finished_at?: Date;
}

/**
 * sms_callbacks: what happened to each status callback, for support ("did they get it?") and for the sms-status
 * view. Written only when a callback fails an attempt or ends: a callback delivered at once costs one write.
 */
export class CallbackLogRepository {
  private readonly col: Collection<CallbackRecord>;

  constructor(db: Db) {
    this.col = db.collection<CallbackRecord>('sms_callbacks');
  }

  async ensureIndexes(): Promise<void> {
    // Read by `_id` only (a message knows how many callbacks it made): no index needed.
  }

  async recordFailedAttempt(
    entry: Pick<CallbackRecord, '_id' | 'message_id' | 'sequence' | 'status' | 'host'>,
    error: { message: string; httpStatus?: number },
  ): Promise<void> {
    const { _id, ...identity } = entry;
    await upsertRacing(() =>
      this.col.updateOne(
        { _id },
        {
          $setOnInsert: identity,
          $set: { last_error: error.message, updated_at: new Date(), ...(error.httpStatus ? { last_http_status: error.httpStatus } : {}) },
          $inc: { failed_attempts: 1 },
        },
        { upsert: true },
      ),
    );
  }

  async recordOutcome(entry: Pick<CallbackRecord, '_id' | 'message_id' | 'sequence' | 'status' | 'host'>, outcome: StatusCallbackOutcome): Promise<void> {
    const { _id, ...identity } = entry;
    const now = new Date();
    await upsertRacing(() =>
      this.col.updateOne(
        { _id },
        {
          $setOnInsert: { ...identity, failed_attempts: 0 },
          $set: {
            outcome: outcome.outcome,
            updated_at: now,
            finished_at: now,
            ...(outcome.reason ? { reason: outcome.reason } : {}),
            ...(outcome.httpStatus ? { last_http_status: outcome.httpStatus } : {}),
          },
        },
        { upsert: true },
      ),
    );
  }

  /** A message's callbacks 1…count in order, by point reads (FerretDB v1 scans for anything but `{ _id }`). */
  async forMessage(messageId: string, count: number): Promise<CallbackRecord[]> {
    const ids = Array.from({ length: count }, (_, i) => statusCallbackId(messageId, i + 1));
    const rows = await Promise.all(ids.map((_id) => this.col.findOne({ _id })));
    return rows.filter((r): r is CallbackRecord => r !== null);
  }
}
