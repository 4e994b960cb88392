import type { MessageCallback } from './messageTypes';
import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './upsert';
import type { TaiwanPhone } from '../domain/phone';
import type { MessageType } from '../domain/sms';
import { ensureIndexes, type IndexPlan } from './indexes';

export type BatchStatus = 'scheduled' | 'running' | 'paused' | 'cancelled' | 'completed';
export const FINISHED_BATCH_STATUSES: readonly BatchStatus[] = ['cancelled', 'completed'];

export interface SmsBatch {
  _id: string;
  name: string;
  message_type: MessageType;
  template_code?: string;
  /** Batch-wide text, when recipients do not bring their own. */
  message?: string;
  status: BatchStatus;
  /** Recipients accepted into the batch (indexes 0 … total-1). */
  total: number;
  rejected: number;
  /** The first rejected rows with their reasons: for runs no client saw the answer of (campaign runs), and for a keyed request's repeats. */
  rejections?: { index: number; phone: string; reason: string }[];
  respect_quiet_hours: boolean;
  scheduled_at?: Date;
  campaign_id?: string;
  /** Every message of the batch reports its status changes here (services/statusCallbacks.ts). */
  callback?: MessageCallback;
  /** A keyed request's body, hashed: a repeat of the key with another body is refused (services/bulkIntake.ts). */
  idempotency_fingerprint?: string;
  created_by: string;
  created_at: Date;
  started_at?: Date;
  finished_at?: Date;
}

export interface BatchRecipient {
  _id: string;
  batch_id: string;
  /** Position among the accepted recipients: the child workflow is `sms-<batchId>-<index>`. */
  index: number;
  phone: TaiwanPhone;
  message?: string;
  template_data?: Record<string, string | number>;
}

/** Recipients per stored chunk document. */
const CHUNK = 500;
const INSERT_GROUP = 20;

/** Recipients are stored in chunks of consecutive indexes, fetched by `_id` (the one lookup FerretDB never scans for). */
interface RecipientChunk {
  _id: string;
  batch_id: string;
  chunk: number;
  recipients: Omit<BatchRecipient, '_id' | 'batch_id'>[];
}

const chunkId = (batchId: string, chunk: number) => `${batchId}:${chunk}`;

/** sms_batches and sms_batch_recipients: recipients live here, never in workflow input. */
/** A whole batch under this id was stored by another call. Still a duplicate key (code 11000) for callers that ask. */
export class BatchAlreadyStored extends Error {
  readonly code = 11000;

  constructor(batchId: string, cause: unknown) {
    super(`a batch ${batchId} is already stored`, { cause });
  }
}

export class BatchRepository {
  private readonly batches: Collection<SmsBatch>;
  private readonly recipients: Collection<RecipientChunk>;

  constructor(db: Db) {
    this.batches = db.collection<SmsBatch>('sms_batches');
    this.recipients = db.collection<RecipientChunk>('sms_batch_recipients');
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    // removing a batch's recipients
    await ensureIndexes(this.recipients, plan, [{ key: { batch_id: 1 }, name: 'batch_id' }]);
    // batch listing, newest first; a non-admin's listing of their own batches
    await ensureIndexes(this.batches, plan, [
      { key: { created_at: -1 }, name: 'created_at' },
      { key: { created_by: 1, created_at: -1 }, name: 'created_by_created_at' },
    ]);
  }

  /**
   * Writes recipients in chunks, then the batch; on any failure removes what it wrote, leaving nothing half-done.
   * Callers own the batch id alone (a random id, a campaign run's own activity, a claimed Idempotency-Key), so chunks
   * already under it were left by an attempt that died before its batch row: they are removed and written again.
   * `progress` runs after each group of chunks (the caller keeps its claim alive through a long store). Throws
   * BatchAlreadyStored when another call stored a batch under this id.
   */
  async create(batch: SmsBatch, recipients: Omit<BatchRecipient, '_id' | 'batch_id'>[], progress?: () => Promise<void>): Promise<void> {
    const chunks: RecipientChunk[] = [];
    for (let i = 0; i < recipients.length; i += CHUNK) {
      chunks.push({ _id: chunkId(batch._id, i / CHUNK), batch_id: batch._id, chunk: i / CHUNK, recipients: recipients.slice(i, i + CHUNK) });
    }
    const write = async () => {
      for (let i = 0; i < chunks.length; i += INSERT_GROUP) {
        await this.recipients.insertMany(chunks.slice(i, i + INSERT_GROUP));
        await progress?.();
      }
      await this.batches.insertOne(batch);
    };
    // A whole batch under this id is already stored: none of it is this call's to remove.
    const removeOwnWrites = async (err: unknown) => {
      if (isDuplicateKey(err) && (await this.get(batch._id))) throw new BatchAlreadyStored(batch._id, err);
      await this.remove(batch._id).catch(() => undefined);
    };
    try {
      await write();
    } catch (err) {
      await removeOwnWrites(err);
      if (!isDuplicateKey(err)) throw err;
      try {
        await write();
      } catch (again) {
        await removeOwnWrites(again);
        throw again;
      }
    }
  }

  /** The row first: a failure in between leaves only chunks, which the next create() replaces, never a batch row without its recipients. */
  async remove(batchId: string): Promise<void> {
    await this.batches.deleteOne({ _id: batchId });
    await this.recipients.deleteMany({ batch_id: batchId });
  }

  /** Retention: a finished batch's recipients (numbers, template values), chunk by chunk by `_id`; the batch row stays. */
  async dropRecipients(batchId: string): Promise<number> {
    const batch = await this.batches.findOne({ _id: batchId });
    // A batch still going (paused or held for longer than retention) prepares its later pages from these.
    if (batch && !FINISHED_BATCH_STATUSES.includes(batch.status)) return 0;
    const chunks = Math.ceil((batch?.total ?? 0) / CHUNK);
    const results = await Promise.all(Array.from({ length: chunks }, (_, k) => this.recipients.deleteOne({ _id: chunkId(batchId, k) })));
    return results.reduce((n, r) => n + r.deletedCount, 0);
  }

  get(batchId: string): Promise<SmsBatch | null> {
    return this.batches.findOne({ _id: batchId });
  }

  /** Newest first; with `createdBy`, only the batches that principal created. */
  list(limit: number, createdBy?: string): Promise<SmsBatch[]> {
    return this.batches
      .find(createdBy ? { created_by: createdBy } : {})
      .sort({ created_at: -1 })
      .limit(limit)
      .toArray();
  }

  /** Recipients with indexes fromIndex … fromIndex+limit-1 (fewer at the end of the batch). */
  async page(batchId: string, fromIndex: number, limit: number): Promise<BatchRecipient[]> {
    const first = Math.floor(fromIndex / CHUNK);
    const last = Math.floor((fromIndex + limit - 1) / CHUNK);
    const page: BatchRecipient[] = [];
    for (let chunk = first; chunk <= last; chunk++) {
      const doc = await this.recipients.findOne({ _id: chunkId(batchId, chunk) });
      for (const r of doc?.recipients ?? []) {
        if (r.index >= fromIndex && r.index < fromIndex + limit) page.push({ ...r, _id: `${batchId}:${r.index}`, batch_id: batchId });
      }
    }
    return page;
  }

  /** Moves the batch between states; `from` guards against racing changes (e.g. resume after cancel). */
  async transition(batchId: string, from: BatchStatus[], to: BatchStatus, now = new Date()): Promise<boolean> {
    // started_at is when the batch first ran: set by the move out of `scheduled` only, never by a resume.
    if (to === 'running' && from.includes('scheduled')) {
      const started = await this.batches.updateOne({ _id: batchId, status: 'scheduled' }, { $set: { status: to, started_at: now } });
      if (started.modifiedCount === 1) return true;
    }
    const timestamps = to === 'completed' || to === 'cancelled' ? { finished_at: now } : {};
    const others = to === 'running' ? from.filter((status) => status !== 'scheduled') : from;
    const result = await this.batches.updateOne({ _id: batchId, status: { $in: others } }, { $set: { status: to, ...timestamps } });
    return result.modifiedCount === 1;
  }
}
