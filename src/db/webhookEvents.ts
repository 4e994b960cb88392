import type { Collection, Db } from 'mongodb';
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

  /**
   * Retention: receipts received before `cutoff`. A filter on received_at scans the collection on FerretDB v1; this
   * runs once a day in the background retention job, where a scan is acceptable (never on a request path).
   */
  async deleteReceivedBefore(cutoff: Date): Promise<number> {
    return (await this.col.deleteMany({ received_at: { $lt: cutoff } })).deletedCount;
  }
}
