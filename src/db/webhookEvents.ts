import type { Collection, Db } from 'mongodb';
import { metrics } from '../metrics';
import { GroupInsert } from './groupInsert';
import { ensureIndexes, type IndexPlan } from './indexes';
import { type DropReason, ParkedInserts } from './parkedInserts';
import type { ProviderName } from '../domain/sms';

/**
 * `deferred`: Temporal did not answer; the receipt waits in the outbox and is signalled when it is back.
 * `applied_late`: its message had ended `expired`; the receipt was handed to lateReceiptWorkflow.
 */
export type WebhookDisposition = 'signalled' | 'deferred' | 'applied_late' | 'unknown_message' | 'message_finished' | 'rejected' | 'ignored';

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

/**
 * Receipts taken while the store was down wait in memory for it (ReceiptIntake.acceptWithoutStore). rowOf bounds a
 * row to about 210 KB as UTF-16 (50 fields of 100 + 2 000 characters), so the byte cap is what binds when
 * hostile-sized rows come in; the estimate counts every string a row holds.
 */
const PARKED_LIMITS = {
  maxRows: 10_000,
  maxBytes: 32 * 1024 * 1024,
  sizeOf: (row: WebhookEvent) =>
    200 +
    2 * ((row.message_id?.length ?? 0) + (row.provider_message_id?.length ?? 0) + row.method.length) +
    row.payload.reduce((sum, f) => sum + 2 * (f.name.length + f.value.length), 0),
  maxRefusals: 5,
  insertTimeoutMs: 10_000,
  retryEveryMs: 3_000,
  rowsPerInsert: 500,
  onDrop: (reason: DropReason, rows: number) => metrics().receiptRowsDropped.inc({ reason }, rows),
};

/** webhook_events: raw delivery receipts, append-only. */
export class WebhookEventRepository {
  private readonly col: Collection<WebhookEvent>;

  /** Receipts come in bursts (a batch's): rows that arrive while one insert is in flight share the next. */
  private readonly inserts: GroupInsert<WebhookEvent>;

  private readonly parked: ParkedInserts<WebhookEvent>;

  constructor(db: Db) {
    this.col = db.collection<WebhookEvent>('webhook_events');
    this.inserts = new GroupInsert(this.col);
    this.parked = new ParkedInserts(this.col, PARKED_LIMITS);
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    // all receipts of one message, in arrival order (support and tests)
    await ensureIndexes(this.col, plan, [{ key: { message_id: 1, received_at: 1 }, name: 'message_received_at' }]);
  }

  /** Resolves once the row is stored. */
  record(event: WebhookEvent): Promise<void> {
    return this.inserts.add(event);
  }

  /**
   * Keeps the row in memory and writes it once the store answers again (see ParkedInserts). A row given up is
   * counted in luckygas_receipt_rows_dropped_total by reason; its receipt still reached its workflow, only the raw
   * copy is gone.
   */
  recordWhenStoreIsBack(event: WebhookEvent): void {
    this.parked.park(event);
  }

  /** Parked rows not stored or given up yet (operators see the same through the logs; tests wait for 0). */
  get parkedRows(): number {
    return this.parked.pending;
  }

  /** At shutdown: the parked rows get until `deadlineMs` to be written; returns how many were given up. */
  writeParkedBefore(deadlineMs: number): Promise<number> {
    return this.parked.writeAllBefore(deadlineMs);
  }

  /**
   * Retention: receipts received before `cutoff`. A filter on received_at scans the collection on FerretDB v1; this
   * runs once a day in the background retention job, where a scan is acceptable (never on a request path).
   */
  async deleteReceivedBefore(cutoff: Date): Promise<number> {
    return (await this.col.deleteMany({ received_at: { $lt: cutoff } })).deletedCount;
  }
}
