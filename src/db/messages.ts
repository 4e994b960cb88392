import type { Collection, Db } from 'mongodb';
import { ensureIndexes } from './indexes';
import type { TaiwanPhone } from '../domain/phone';
import type { SmsEncoding } from '../domain/segments';
import type { DeliveryReport, MessageType, ProviderName, SmsStatus } from '../domain/sms';

export interface MessageEvent {
  at: Date;
  type: string;
  status?: SmsStatus;
  provider?: ProviderName;
  detail?: Record<string, unknown>;
}

export interface AttemptRecord {
  provider: ProviderName;
  /** Temporal activity attempt number for this provider. */
  attempt: number;
  started_at: Date;
  finished_at?: Date;
  outcome?: 'accepted' | 'error';
  error_code?: string;
  error_message?: string;
  /** The provider may have accepted despite the error (timeout): a later send may duplicate. */
  ambiguous?: boolean;
}

export interface SmsMessage {
  _id: string;
  phone_e164: string;
  phone_national: string;
  phone_masked: string;
  phone_kind: TaiwanPhone['kind'];
  body: string;
  message_type: MessageType;
  metadata: Record<string, unknown>;
  encoding: SmsEncoding;
  segments: number;
  units: number;
  status: SmsStatus;
  provider?: ProviderName;
  provider_message_id?: string;
  provider_status?: string;
  error_code?: string;
  /** Finished provider attempts, oldest first. */
  attempts: AttemptRecord[];
  /** The provider call in flight, if any; still set after a worker died mid-call. */
  open_attempt?: AttemptRecord;
  price_per_segment?: number;
  cost?: number;
  reported_cost?: number;
  batch_id?: string;
  template_code?: string;
  template_version?: number;
  /** Variant id when the template has A/B variants, else `default`. */
  variant?: string;
  /** Test sends go through this provider only. */
  forced_provider?: ProviderName;
  idempotency_fingerprint?: string;
  created_at: Date;
  updated_at: Date;
  sent_at?: Date;
  delivered_at?: Date;
  finished_at?: Date;
  events: MessageEvent[];
}

export type NewMessage = Omit<SmsMessage, 'status' | 'attempts' | 'events' | 'created_at' | 'updated_at'>;

/** The workflow sets finished_at once, at its end; nothing changes a message after that. */
const OPEN = { finished_at: { $exists: false } };

/**
 * sms_messages: one document per SMS, `_id` = message id = workflow id suffix = provider client reference.
 * Every change is guarded by the state it expects, so replays, retries and repeated receipts are harmless.
 */
export class MessageRepository {
  private readonly col: Collection<SmsMessage>;

  constructor(db: Db) {
    this.col = db.collection<SmsMessage>('sms_messages');
  }

  async ensureIndexes(): Promise<void> {
    await ensureIndexes(this.col, [
      // webhook fallback: find a message by the id the provider gave it
      { key: { provider: 1, provider_message_id: 1 }, name: 'provider_message_id' },
      // daily limit per provider and provider stats over a date range
      { key: { provider: 1, sent_at: 1 }, name: 'provider_sent_at' },
      // sms-logs listing newest first, filtered by status
      { key: { status: 1, created_at: -1 }, name: 'status_created_at' },
      // per-phone history and rate limits
      { key: { phone_e164: 1, created_at: -1 }, name: 'phone_created_at' },
      // A/B statistics of one template, per variant
      { key: { template_code: 1, variant: 1 }, name: 'template_variant' },
    ]);
  }

  /** Inserts unless the id exists (idempotent requests); returns the stored document either way. */
  async insertIfAbsent(message: NewMessage, now = new Date()): Promise<{ inserted: boolean; message: SmsMessage }> {
    const doc: SmsMessage = {
      ...message,
      status: 'queued',
      attempts: [],
      created_at: now,
      updated_at: now,
      events: [{ at: now, type: 'accepted', status: 'queued' }],
    };
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

  findById(id: string): Promise<SmsMessage | null> {
    return this.col.findOne({ _id: id });
  }

  findIdByProviderMessageId(provider: ProviderName, providerMessageId: string): Promise<Pick<SmsMessage, '_id'> | null> {
    return this.col.findOne({ provider, provider_message_id: providerMessageId }, { projection: { _id: 1 } });
  }

  /** Streams the few fields A/B statistics need, so a large template never loads whole documents. */
  templateOutcomes(templateCode: string) {
    return this.col.find({ template_code: templateCode }, { projection: { _id: 0, variant: 1, status: 1, segments: 1, cost: 1 } });
  }

  countSentSince(provider: ProviderName, since: Date): Promise<number> {
    return this.col.countDocuments({ provider, sent_at: { $gte: since } });
  }

  /**
   * Records that an attempt is about to call the provider. Returns the attempt that was still open before it, if
   * any: a worker died mid-call, so the provider may already have the message. That attempt is closed as
   * `interrupted` and flagged ambiguous.
   */
  async recordAttemptStarted(id: string, provider: ProviderName, attempt: number): Promise<AttemptRecord | undefined> {
    const now = new Date();
    const before = await this.col.findOneAndUpdate(
      { _id: id, ...OPEN },
      {
        $set: { status: 'sending', provider, open_attempt: { provider, attempt, started_at: now }, updated_at: now },
        $push: { events: { at: now, type: 'attempt_started', status: 'sending', provider, detail: { attempt } } },
      },
      { returnDocument: 'before' },
    );
    const interrupted = before?.open_attempt;
    if (interrupted) {
      const closed: AttemptRecord = { ...interrupted, finished_at: now, outcome: 'error', error_code: 'interrupted', error_message: 'worker stopped during the provider call', ambiguous: true };
      await this.col.updateOne(
        { _id: id },
        { $push: { attempts: closed, events: { at: now, type: 'possible_duplicate', provider: interrupted.provider, detail: { attempt: interrupted.attempt } } } },
      );
    }
    return interrupted;
  }

  async recordAttemptFailed(id: string, provider: ProviderName, error: { code: string; message: string; ambiguous: boolean }): Promise<void> {
    const now = new Date();
    await this.closeOpenAttempt(id, { outcome: 'error', error_code: error.code, error_message: error.message, ambiguous: error.ambiguous }, now);
    await this.col.updateOne(
      { _id: id },
      { $set: { updated_at: now }, $push: { events: { at: now, type: 'attempt_failed', provider, detail: error } } },
    );
  }

  /** Records why routing passed providers over, in the message's events. */
  async recordRouteSkips(id: string, skipped: { provider: ProviderName; reason: string }[]): Promise<void> {
    const now = new Date();
    await this.col.updateOne({ _id: id, ...OPEN }, { $push: { events: { at: now, type: 'route_planned', detail: { skipped } } } });
  }

  /**
   * Provider accepted: status `sent`, unless a receipt or a final state got there first. Returns the cost when
   * this call recorded the send (undefined for a repeat), so usage is counted once.
   */
  async markSent(
    id: string,
    sent: { provider: ProviderName; providerMessageId: string; pricePerSegment: number; reportedCost?: number; duplicate?: boolean },
  ): Promise<number | undefined> {
    const now = new Date();
    await this.closeOpenAttempt(id, { outcome: 'accepted' }, now);
    const message = await this.col.findOne({ _id: id }, { projection: { segments: 1 } });
    // Every8d reports the points it charged (one per segment it billed): when given, that count wins.
    const cost = round((sent.reportedCost ?? message?.segments ?? 1) * sent.pricePerSegment);
    const result = await this.col.updateOne(
      { _id: id, ...OPEN, provider_message_id: { $ne: sent.providerMessageId } },
      {
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
        $push: {
          events: {
            at: now,
            type: 'sent',
            status: 'sent',
            provider: sent.provider,
            detail: { provider_message_id: sent.providerMessageId, ...(sent.duplicate ? { provider_saw_duplicate: true } : {}) },
          },
        },
      },
    );
    return result.modifiedCount === 1 ? cost : undefined;
  }

  /** Applies a receipt only to the send it belongs to and only once. */
  async applyDeliveryReport(id: string, report: DeliveryReport, final: boolean): Promise<boolean> {
    const now = new Date();
    const status: SmsStatus = report.outcome;
    const result = await this.col.updateOne(
      { _id: id, ...OPEN, status: 'sent', provider: report.provider, provider_message_id: report.providerMessageId },
      {
        $set: {
          status,
          provider_status: report.providerStatus,
          ...(report.errorCode ? { error_code: report.errorCode } : {}),
          ...(status === 'delivered' ? { delivered_at: new Date(report.receivedAt) } : {}),
          ...(final ? { finished_at: now } : {}),
          updated_at: now,
        },
        $push: {
          events: { at: now, type: 'receipt', status, provider: report.provider, detail: { provider_status: report.providerStatus, error_code: report.errorCode } },
        },
      },
    );
    return result.modifiedCount === 1;
  }

  /** Final state without a receipt (failed, expired); never overwrites an earlier end. */
  async markFinal(id: string, status: 'failed' | 'expired', reason: { code: string; message: string }): Promise<void> {
    const now = new Date();
    await this.col.updateOne(
      { _id: id, ...OPEN },
      {
        $set: { status, error_code: reason.code, finished_at: now, updated_at: now },
        $push: { events: { at: now, type: status, status, detail: reason } },
      },
    );
  }

  /** Moves the open attempt into `attempts`; guarded by its start time so a retried call closes it once. */
  private async closeOpenAttempt(id: string, result: Partial<AttemptRecord>, now: Date): Promise<void> {
    const message = await this.col.findOne({ _id: id }, { projection: { open_attempt: 1 } });
    const open = message?.open_attempt;
    if (!open) return;
    const closed: AttemptRecord = { ...open, ...result, finished_at: now };
    await this.col.updateOne({ _id: id, 'open_attempt.started_at': open.started_at }, { $push: { attempts: closed }, $unset: { open_attempt: '' } });
  }
}

const round = (n: number): number => Math.round(n * 10_000) / 10_000;
