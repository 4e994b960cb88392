import type { Collection, Db, Filter, UpdateFilter } from 'mongodb';
import { ensureIndexes } from './indexes';
import { upsertRacing } from './upsert';
import type { AttemptRecord, MessageEvent, NewMessage, SmsMessage } from './messageTypes';
import type { DeliveryReport, MessageType, ProviderName, SmsStatus } from '../domain/sms';

export type { AttemptRecord, MessageEvent, NewMessage, SmsMessage } from './messageTypes';

type Change = UpdateFilter<SmsMessage>;

/** Filters of the log, stats and export; every value is a parsed plain value, never client-supplied operators. */
export interface MessageFilter {
  status?: SmsStatus;
  provider?: ProviderName;
  messageType?: MessageType;
  phoneE164?: string;
  batchId?: string;
  from?: Date;
  to?: Date;
}

function messageQuery(f: MessageFilter): Filter<SmsMessage> {
  const q: Filter<SmsMessage> = {};
  if (f.status) q.status = f.status;
  if (f.provider) q.provider = f.provider;
  if (f.messageType) q.message_type = f.messageType;
  if (f.phoneE164) q.phone_e164 = f.phoneE164;
  if (f.batchId) q.batch_id = f.batchId;
  if (f.from || f.to) q.created_at = { ...(f.from ? { $gte: f.from } : {}), ...(f.to ? { $lt: f.to } : {}) };
  return q;
}

/**
 * sms_messages: one document per SMS, `_id` = message id = workflow id suffix = provider client reference.
 * Every change is guarded by the state it expects, so replays, retries and repeated receipts are harmless.
 *
 * Changes read the message by `_id`, check the expected state in code, and write by `_id`. Two reasons: FerretDB
 * v1 only avoids a collection scan for a filter that is exactly `{ _id }`, and each message has a single writer
 * (its workflow, whose activities run one at a time), so check-then-write cannot race with another change.
 */
export class MessageRepository {
  private readonly col: Collection<SmsMessage>;

  private readonly refs: Collection<{ _id: string; message_id: string }>;

  constructor(db: Db) {
    this.col = db.collection<SmsMessage>('sms_messages');
    this.refs = db.collection('sms_provider_refs');
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.col, [
      // sms-logs and stats filtered by provider over a date range
      { key: { provider: 1, created_at: -1 }, name: 'provider_created_at' },
      // sms-logs listing and stats over a date range, newest first (the _id breaks ties for the cursor)
      { key: { created_at: -1, _id: -1 }, name: 'created_at_id' },
      // sms-logs filtered by status
      { key: { status: 1, created_at: -1 }, name: 'status_created_at' },
      // per-phone history and rate limits
      { key: { phone_e164: 1, created_at: -1 }, name: 'phone_created_at' },
      // batch progress: counts by status of one batch
      { key: { batch_id: 1, status: 1 }, name: 'batch_status' },
      // A/B statistics of one template, per variant
      { key: { template_code: 1, variant: 1 }, name: 'template_variant' },
    ]);
  }

  /** Inserts unless the id exists (idempotent requests); returns the stored document either way. */
  async insertIfAbsent(message: NewMessage, now = new Date()): Promise<{ inserted: boolean; message: SmsMessage }> {
    const doc = queuedMessage(message, now);
    try {
      await this.col.insertOne(doc);
      return { inserted: true, message: doc };
    } catch (err) {
      if ((err as { code?: number }).code !== 11000) throw err;
      const existing = await this.col.findOne({ _id: message._id });
      if (!existing) throw err;
      return { inserted: false, message: existing };
    }
  }

  /** Compensation for a workflow that could not be started: only a message nothing has touched yet. */
  async deleteUnstarted(id: string): Promise<void> {
    await this.col.deleteOne({ _id: id, status: 'queued', attempts: { $size: 0 } });
  }

  /** Batch pages: inserts what is missing and leaves existing messages alone, so a retried page is harmless. */
  async insertManyIfAbsent(messages: NewMessage[], now = new Date()): Promise<void> {
    if (messages.length === 0) return;
    try {
      await this.col.insertMany(messages.map((m) => queuedMessage(m, now)), { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { code: number }[] | { code: number } }).writeErrors;
      const errors = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
      if (errors.length === 0 || errors.some((e) => e.code !== 11000)) throw err;
    }
  }

  findById(id: string): Promise<SmsMessage | null> {
    return this.col.findOne({ _id: id });
  }

  /**
   * Receipts that do not carry our id (Every8d's account-wide callback) are matched through sms_provider_refs, a
   * lookup by `_id`: the one query FerretDB answers without scanning, and cheap on MongoDB too.
   */
  async findIdByProviderMessageId(provider: ProviderName, providerMessageId: string): Promise<string | undefined> {
    return (await this.refs.findOne({ _id: `${provider}:${providerMessageId}` }))?.message_id;
  }

  /** Streams the few fields A/B statistics need, so a large template never loads whole documents. */
  templateOutcomes(templateCode: string) {
    return this.col.find({ template_code: templateCode }, { projection: { _id: 0, variant: 1, status: 1, segments: 1, cost: 1 } });
  }

  /**
   * One page of the log, newest first. The cursor is the last row's (created_at, _id): rows inserted meanwhile
   * are newer than any cursor, so paging on never shows a row twice or skips one.
   */
  logPage(filter: MessageFilter, limit: number, after?: { createdAt: Date; id: string }): Promise<SmsMessage[]> {
    const query: Filter<SmsMessage> = messageQuery(filter);
    if (after) query.$or = [{ created_at: { $lt: after.createdAt } }, { created_at: after.createdAt, _id: { $lt: after.id } }];
    return this.col.find(query, { projection: { events: 0, body: 0 } }).sort({ created_at: -1, _id: -1 }).limit(limit).toArray();
  }

  /** Streams matching messages, oldest first, with only the fields statistics and exports need. */
  stream(filter: MessageFilter) {
    return this.col.find(messageQuery(filter), { projection: { events: 0, body: 0, metadata: 0, attempts: 0, open_attempt: 0 } }).sort({ created_at: 1, _id: 1 });
  }

  /** Messages of one batch by status (group-and-count is within what FerretDB v1 aggregates correctly). */
  async countByStatus(batchId: string): Promise<Record<string, number>> {
    const rows = await this.col.aggregate<{ _id: string; n: number }>([{ $match: { batch_id: batchId } }, { $group: { _id: '$status', n: { $sum: 1 } } }]).toArray();
    return Object.fromEntries(rows.map((r) => [r._id, r.n]));
  }


  /**
   * Records that an attempt is about to call the provider. Returns the attempt that was still open before it, if
   * any: a worker died mid-call, so the provider may already have the message. That attempt is closed as
   * `interrupted` and flagged ambiguous.
   */
  async recordAttemptStarted(id: string, provider: ProviderName, attempt: number): Promise<AttemptRecord | undefined> {
    let interrupted: AttemptRecord | undefined;
    await this.change(id, (m, now) => {
      if (m.finished_at) return null;
      interrupted = m.open_attempt;
      const closed: AttemptRecord[] = interrupted
        ? [{ ...interrupted, finished_at: now, outcome: 'error', error_code: 'interrupted', error_message: 'worker stopped during the provider call', ambiguous: true }]
        : [];
      const events: MessageEvent[] = [
        ...(interrupted ? [{ at: now, type: 'possible_duplicate', provider: interrupted.provider, detail: { attempt: interrupted.attempt } }] : []),
        { at: now, type: 'attempt_started', status: 'sending', provider, detail: { attempt } },
      ];
      return {
        $set: { status: 'sending', provider, open_attempt: { provider, attempt, started_at: now }, updated_at: now },
        $push: { attempts: { $each: closed }, events: { $each: events } },
      };
    });
    return interrupted;
  }

  async recordAttemptFailed(id: string, provider: ProviderName, error: { code: string; message: string; ambiguous: boolean }): Promise<void> {
    await this.change(id, (m, now) => {
      const closed = this.closeOpenAttempt(m, { outcome: 'error', error_code: error.code, error_message: error.message, ambiguous: error.ambiguous }, now);
      return {
        $set: { updated_at: now },
        ...(closed.$unset ? { $unset: closed.$unset } : {}),
        $push: { ...closed.$push, events: { at: now, type: 'attempt_failed', provider, detail: error } },
      };
    });
  }

  /** Records why routing passed providers over, in the message's events. */
  async recordRouteSkips(id: string, skipped: { provider: ProviderName; reason: string }[]): Promise<void> {
    await this.change(id, (m, now) => (m.finished_at ? null : { $push: { events: { at: now, type: 'route_planned', detail: { skipped } } } }));
  }

  /**
   * Provider accepted: status `sent`, unless a receipt or a final state got there first. Returns the cost when
   * this call recorded the send (undefined for a repeat), so usage is counted once.
   */
  async markSent(
    id: string,
    sent: { provider: ProviderName; providerMessageId: string; pricePerSegment: number; reportedCost?: number; duplicate?: boolean },
  ): Promise<number | undefined> {
    await upsertRacing(() => this.refs.updateOne({ _id: `${sent.provider}:${sent.providerMessageId}` }, { $set: { message_id: id } }, { upsert: true }));
    let cost: number | undefined;
    await this.change(id, (m, now) => {
      if (m.finished_at || m.provider_message_id === sent.providerMessageId) return null;
      // Every8d reports the points it charged (one per segment it billed): when given, that count wins.
      cost = round((sent.reportedCost ?? m.segments) * sent.pricePerSegment);
      const closed = this.closeOpenAttempt(m, { outcome: 'accepted' }, now);
      return {
        $set: {
          status: 'sent',
          provider: sent.provider,
          provider_message_id: sent.providerMessageId,
          price_per_segment: sent.pricePerSegment,
          cost,
          ...(sent.reportedCost === undefined ? {} : { reported_cost: sent.reportedCost }),
          sent_at: now,
          updated_at: now,
        },
        ...(closed.$unset ? { $unset: closed.$unset } : {}),
        $push: {
          ...closed.$push,
          events: {
            at: now,
            type: 'sent',
            status: 'sent',
            provider: sent.provider,
            detail: { provider_message_id: sent.providerMessageId, ...(sent.duplicate ? { provider_saw_duplicate: true } : {}) },
          },
        },
      };
    });
    return cost;
  }

  /** Applies a receipt only to the send it belongs to and only once. */
  async applyDeliveryReport(id: string, report: DeliveryReport, final: boolean): Promise<boolean> {
    return this.change(id, (m, now) => {
      const belongs = m.status === 'sent' && m.provider === report.provider && m.provider_message_id === report.providerMessageId;
      if (m.finished_at || !belongs) return null;
      const status: SmsStatus = report.outcome;
      return {
        $set: {
          status,
          provider_status: report.providerStatus,
          ...(report.errorCode ? { error_code: report.errorCode } : {}),
          ...(status === 'delivered' ? { delivered_at: new Date(report.receivedAt) } : {}),
          ...(final ? { finished_at: now } : {}),
          updated_at: now,
        },
        $push: { events: { at: now, type: 'receipt', status, provider: report.provider, detail: { provider_status: report.providerStatus, error_code: report.errorCode } } },
      };
    });
  }

  /** Final state without a receipt (failed, expired); never overwrites an earlier end. */
  async markFinal(id: string, status: 'failed' | 'expired', reason: { code: string; message: string }): Promise<void> {
    await this.change(id, (m, now) =>
      m.finished_at
        ? null
        : { $set: { status, error_code: reason.code, finished_at: now, updated_at: now }, $push: { events: { at: now, type: status, status, detail: reason } } },
    );
  }

  /** Reads the message, lets `decide` return the change its current state calls for (or null), and writes it. */
  private async change(id: string, decide: (message: SmsMessage, now: Date) => Change | null): Promise<boolean> {
    const message = await this.col.findOne({ _id: id });
    const update = message && decide(message, new Date());
    if (!update) return false;
    await this.col.updateOne({ _id: id }, update);
    return true;
  }

  /** The part of an update that moves the open attempt, if any, into `attempts` with its outcome. */
  private closeOpenAttempt(m: SmsMessage, result: Partial<AttemptRecord>, now: Date): { $unset?: { open_attempt: '' }; $push: { attempts?: AttemptRecord } } {
    if (!m.open_attempt) return { $push: {} };
    return { $unset: { open_attempt: '' }, $push: { attempts: { ...m.open_attempt, ...result, finished_at: now } } };
  }
}

/** A message as first stored: queued, no attempts, its acceptance the first event. */
function queuedMessage(message: NewMessage, now: Date): SmsMessage {
  return { ...message, status: 'queued', attempts: [], created_at: now, updated_at: now, events: [{ at: now, type: 'accepted', status: 'queued' }] };
}

const round = (n: number): number => Math.round(n * 10_000) / 10_000;
