import { randomUUID } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import { ensureIndexes, type IndexPlan } from './indexes';
import { CountingWriter } from './countingWriter';

export interface Alert {
  _id: string;
  rule: string;
  /** What the alert is about (a provider, `all`); one open alert per rule and subject. */
  subject: string;
  state: 'open' | 'resolved';
  message: string;
  details: Record<string, unknown>;
  opened_at: Date;
  updated_at: Date;
  resolved_at?: Date;
}

/**
 * One counter per kind of operational event per second (rate-limit refusals, refused webhooks): fine enough for
 * a window of a few seconds, and at most one small document per second however many events arrive.
 */
interface OpsCounter {
  _id: string;
  kind: string;
  second: Date;
  count: number;
}

/** alerts and ops_counters: what the alert rules found, and the event counts some rules read. */
export class AlertRepository {
  private readonly alerts: Collection<Alert>;
  private readonly counters: Collection<OpsCounter>;

  /** Rejections come in bursts (a flood of 429s): queued per document so FerretDB loses none (CountingWriter). */
  private readonly eventCounts: CountingWriter<OpsCounter>;

  constructor(db: Db) {
    this.alerts = db.collection<Alert>('alerts');
    this.counters = db.collection<OpsCounter>('ops_counters');
    this.eventCounts = new CountingWriter(this.counters);
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    // open alerts by rule and subject (evaluation), and listing by state
    await ensureIndexes(this.alerts, plan, [{ key: { state: 1, rule: 1, subject: 1 }, name: 'state_rule_subject' }]);
    // event counts over a window
    await ensureIndexes(this.counters, plan, [{ key: { kind: 1, second: 1 }, name: 'kind_second' }]);
  }

  async countEvent(kind: string, now = new Date(), events = 1): Promise<void> {
    const second = new Date(Math.floor(now.getTime() / 1000) * 1000);
    await this.eventCounts.add(`${kind}@${second.getTime()}`, { count: events }, { kind, second });
  }

  async eventsSince(kind: string, since: Date): Promise<number> {
    const rows = await this.counters.find({ kind, second: { $gte: since } }).toArray();
    return rows.reduce((n, r) => n + r.count, 0);
  }

  /** Retention: event counts older than any alert window reads. A scan on FerretDB, run daily in the background. */
  async deleteEventCountsBefore(before: Date): Promise<number> {
    return (await this.counters.deleteMany({ second: { $lt: before } })).deletedCount;
  }

  /** Opens an alert unless one is open for the rule and subject; returns it only when newly opened. */
  async open(rule: string, subject: string, message: string, details: Record<string, unknown>, now = new Date()): Promise<Alert | null> {
    const current = await this.alerts.findOne({ state: 'open', rule, subject });
    if (current) {
      await this.alerts.updateOne({ _id: current._id }, { $set: { details, message, updated_at: now } });
      return null;
    }
    const alert: Alert = { _id: randomUUID(), rule, subject, state: 'open', message, details, opened_at: now, updated_at: now };
    await this.alerts.insertOne(alert);
    return alert;
  }

  /** Resolves the open alert of a rule and subject, if any; returns it when this call resolved it. */
  async resolve(rule: string, subject: string, now = new Date()): Promise<Alert | null> {
    const current = await this.alerts.findOne({ state: 'open', rule, subject });
    if (!current) return null;
    await this.alerts.updateOne({ _id: current._id }, { $set: { state: 'resolved', resolved_at: now, updated_at: now } });
    return { ...current, state: 'resolved', resolved_at: now };
  }

  list(state?: 'open' | 'resolved', limit = 100): Promise<Alert[]> {
    return this.alerts
      .find(state ? { state } : {})
      .sort({ opened_at: -1 })
      .limit(limit)
      .toArray();
  }
}
