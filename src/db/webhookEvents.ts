import { MongoBulkWriteError, type Collection, type Db } from 'mongodb';
import { metrics } from '../metrics';
import { GroupInsert } from './groupInsert';
import { ensureIndexes, type IndexPlan } from './indexes';
import type { ProviderName } from '../domain/sms';

/** `deferred`: Temporal did not answer; the receipt waits in the outbox and is signalled when it is back. */
export type WebhookDisposition = 'signalled' | 'deferred' | 'unknown_message' | 'message_finished' | 'rejected' | 'ignored';

export interface WebhookEvent {
  provider: ProviderName;
  received_at: Date;
  method: string;
  /**
   * The receipt as received (query and form fields), for disputes and debugging. Kept as name/value pairs so a
   * hostile field name such as `$where` is stored as data, never read as an operator.
   */
  payload: { name: string; value: string }[];
  message_id?: string;
  provider_message_id?: string;
  disposition: WebhookDisposition;
  reason?: string;
}

const MAX_PARKED_ROWS = 10_000;
const MAX_ROWS_PER_WRITE = 500;
const PARKED_RETRY_MS = 3_000;

function onlyDuplicateKeys(err: unknown): boolean {
  if (!(err instanceof MongoBulkWriteError)) return false;
  const errors = [err.writeErrors].flat();
  return errors.length > 0 && errors.every((e) => e.code === 11000);
}

/** webhook_events: raw delivery receipts, append-only. */
export class WebhookEventRepository {
  private readonly col: Collection<WebhookEvent>;

  /** Receipts come in bursts (a batch's): rows that arrive while one insert is in flight share the next. */
  private readonly inserts: GroupInsert<WebhookEvent>;

  constructor(db: Db) {
    this.col = db.collection<WebhookEvent>('webhook_events');
    this.inserts = new GroupInsert(this.col);
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    // all receipts of one message, in arrival order (support and tests)
    await ensureIndexes(this.col, plan, [{ key: { message_id: 1, received_at: 1 }, name: 'message_received_at' }]);
  }

  /** Resolves once the row is stored. */
  record(event: WebhookEvent): Promise<void> {
    return this.inserts.add(event);
  }

  /** Rows of receipts taken while the store was down (ReceiptIntake.acceptWithoutStore), oldest first. */
  private parked: WebhookEvent[] = [];

  private parkedRetry?: NodeJS.Timeout;

  private writingParked = false;

  /**
   * Keeps the row in memory and writes it once the store answers again, retrying every few seconds. Bounded: past
   * MAX_PARKED_ROWS the oldest row is dropped and counted (luckygas_receipt_rows_dropped_total); its receipt still
   * reached its workflow, only the raw copy is gone. A process that exits before the store is back loses its rows
   * the same way, uncounted.
   */
  recordWhenStoreIsBack(event: WebhookEvent): void {
    if (this.parked.length >= MAX_PARKED_ROWS) {
      this.parked.shift();
      metrics().receiptRowsDropped.inc();
    }
    this.parked.push(event);
    this.parkedRetry ??= setInterval(() => void this.writeParked(), PARKED_RETRY_MS).unref();
  }

  private async writeParked(): Promise<void> {
    if (this.writingParked) return;
    this.writingParked = true;
    const rows = this.parked.splice(0, MAX_ROWS_PER_WRITE);
    try {
      // The driver gives each row its _id before the first try, so a row a failed try did store is refused as a
      // duplicate on the next one instead of being stored twice.
      await this.col.insertMany(rows, { ordered: false }).catch((err) => {
        if (!onlyDuplicateKeys(err)) throw err;
      });
      if (this.parked.length === 0) {
        clearInterval(this.parkedRetry);
        this.parkedRetry = undefined;
      }
    } catch {
      this.parked.unshift(...rows);
    } finally {
      this.writingParked = false;
    }
  }

  /**
   * Retention: receipts received before `cutoff`. A filter on received_at scans the collection on FerretDB v1; this
   * runs once a day in the background retention job, where a scan is acceptable (never on a request path).
   */
  async deleteReceivedBefore(cutoff: Date): Promise<number> {
    return (await this.col.deleteMany({ received_at: { $lt: cutoff } })).deletedCount;
  }
}
