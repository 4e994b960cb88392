import type { Collection, Db } from 'mongodb';
import { insertUnlessPresent } from './upsert';
import type { OrderEventName } from '../domain/orderEvents';
import type { TemplateData } from '../domain/templateData';

/** One order event as received: what its text needs (number, template data), kept out of Temporal histories. */
export interface StoredOrderEvent {
  /** Derived from order, event and occurred_at (services/orderNotifications.ts): a retried POST finds the same one. */
  _id: string;
  order_id: string;
  event: OrderEventName;
  phone_e164: string;
  phone_masked: string;
  data: TemplateData;
  occurred_at: Date;
  received_at: Date;
  /** The API key or user that posted it. */
  received_from: string;
  /** The client key that posted it, when a `sender` key did (services/orderNotifications.ts: order ownership). */
  sender?: string;
}

/**
 * sms_order_events: the order workflow's events by id. Written by the API before the workflow hears of the event,
 * read by the send activity, and removed when the order's workflow ends. Every access is by `_id`.
 */
export class OrderEventRepository {
  private readonly col: Collection<StoredOrderEvent>;

  constructor(db: Db) {
    this.col = db.collection<StoredOrderEvent>('sms_order_events');
  }

  async ensureIndexes(): Promise<void> {
    // reads and removals are by _id
  }

  /** Stores the event unless this very event (same id) is already stored; the first copy is kept. True if stored now. */
  addIfAbsent(event: StoredOrderEvent): Promise<boolean> {
    return insertUnlessPresent(this.col, event);
  }

  get(id: string): Promise<StoredOrderEvent | null> {
    return this.col.findOne({ _id: id });
  }

  /** One exact `_id` delete each: FerretDB pushes down nothing else, and an order has a handful of events. */
  async removeAll(ids: string[]): Promise<void> {
    for (const _id of ids) await this.col.deleteOne({ _id });
  }
}
