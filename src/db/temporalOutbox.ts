import type { Collection, Db } from 'mongodb';
import type { DeliveryReport } from '../domain/sms';
import type { StatusCallbackInput } from '../domain/statusCallback';
import { insertUnlessPresent, upsertRacing } from './upsert';

/** A Temporal call that was due but not (yet) confirmed: a workflow to start, or a receipt to signal. */
export type OutboxEntry =
  | { _id: string; kind: 'start_message'; message_id: string; queued_at: Date }
  | { _id: string; kind: 'start_batch'; batch_id: string; queued_at: Date }
  | { _id: string; kind: 'receipt'; message_id: string; report: DeliveryReport; queued_at: Date }
  | { _id: string; kind: 'start_callback'; message_id: string; callback: StatusCallbackInput; queued_at: Date };

/** At most this many entries are read per relay round; the rest wait for the next one. */
const READ_LIMIT = 500;

/**
 * sms_temporal_outbox: what still has to reach Temporal, so that an accepted message, batch or receipt survives a
 * Temporal outage (and an API crash between storing and starting). Intake writes an entry before the stored
 * document and removes it once Temporal confirmed; the relay (services/outboxRelay.ts) retries whatever is left.
 *
 * Why a collection of its own: FerretDB v1 pushes down only exact `{ _id }` filters, so "messages without a
 * workflow" cannot be found in sms_messages without reading all of them. This collection holds only unconfirmed
 * calls — normally none, a few seconds' worth during an outage — so reading it whole stays cheap at any data size.
 */
export class TemporalOutbox {
  private readonly col: Collection<OutboxEntry>;

  constructor(db: Db) {
    this.col = db.collection<OutboxEntry>('sms_temporal_outbox');
  }

  async ensureIndexes(): Promise<void> {
    // Read whole (it stays small) and removed by `_id`: no index needed.
  }

  static startMessageId = (messageId: string) => `start:sms-${messageId}`;
  static startBatchId = (batchId: string) => `start:bulk-${batchId}`;
  static startCallbackId = (callbackId: string) => `start:${callbackId}`;

  /**
   * Idempotent for starts (one entry per workflow id); every receipt gets an entry of its own. True when this call
   * wrote the entry; false when one was there already (another request's, say).
   */
  async add(entry: OutboxEntry): Promise<boolean> {
    const { _id, ...rest } = entry;
    return (await upsertRacing(() => this.col.updateOne({ _id }, { $setOnInsert: rest as never }, { upsert: true }))).upsertedCount > 0;
  }

  /**
   * Writes the entry, replacing one with its `_id`: for a call whose content is decided anew each time it is
   * written, where the last write is the one that counts (a status callback: see services/statusCallbacks.ts).
   */
  async put(entry: OutboxEntry): Promise<void> {
    const { _id, ...rest } = entry;
    await upsertRacing(() => this.col.updateOne({ _id }, { $set: rest as never }, { upsert: true }));
  }

  /**
   * Adds the entry only if none has its `_id`: true when this call added it. A keyed bulk request claims its batch id
   * this way, so two requests with one Idempotency-Key never store the same batch at once.
   */
  claim(entry: OutboxEntry): Promise<boolean> {
    return insertUnlessPresent(this.col, entry);
  }

  async remove(id: string): Promise<void> {
    await this.col.deleteOne({ _id: id });
  }

  /** Removes the entry as it was read: one written again since (`put`) stays for the next round. */
  async removeIfUnchanged(entry: OutboxEntry): Promise<void> {
    await this.col.deleteOne({ _id: entry._id, queued_at: entry.queued_at });
  }

  /** Pending entries (up to READ_LIMIT), oldest first. */
  async all(): Promise<OutboxEntry[]> {
    const entries = await this.col.find({}).limit(READ_LIMIT).toArray();
    return entries.sort((a, b) => a.queued_at.getTime() - b.queued_at.getTime());
  }

  get(id: string): Promise<OutboxEntry | null> {
    return this.col.findOne({ _id: id });
  }
}
