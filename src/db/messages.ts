import type { Collection, Db, UpdateFilter } from 'mongodb';
import { ensureIndexes, type IndexPlan } from './indexes';
import { KeyedSerial } from './keyedSerial';
import { asCounted, countedState, sameCountedState, type MessageAggregates, type MessageLists } from './messageAggregates';
import { isDuplicateKey, upsertRacing } from './upsert';
import type { AttemptRecord, MessageEvent, NewMessage, SmsMessage } from './messageTypes';
import { takesLateReceipt } from '../domain/lateReceipts';
import { CANCELLABLE_STATUSES, type DeliveryReport, type ProviderAccepted, type ProviderName, type SmsStatus } from '../domain/sms';

export type { AttemptRecord, MessageCallback, MessageEvent, NewMessage, SentBy, SmsMessage } from './messageTypes';

/** How an attempt whose worker died during the provider call is closed: the provider may have the message. */
const INTERRUPTED_ATTEMPT = { outcome: 'error', error_code: 'interrupted', error_message: 'worker stopped during the provider call', ambiguous: true } as const;

type Change = UpdateFilter<SmsMessage>;

/**
 * Told of each status change of a message before it is written (services/statusCallbacks.ts). Costs nothing for a
 * message it has no interest in; otherwise it returns fields to write with the change and a step to run after it.
 */
export interface StatusChangeListener {
  beforeStatusChange(before: SmsMessage, after: SmsMessage, now: Date): Promise<{ set: Partial<SmsMessage>; written(): void } | undefined>;
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
  readonly col: Collection<SmsMessage>;

  private readonly refs: Collection<{ _id: string; message_id: string }>;

  /** Lookup lists of this process (every process that stores or changes messages has them). */
  private readonly lists?: MessageLists;

  /** Rollups: only in the process that owns them (the worker). */
  private readonly aggregates?: MessageAggregates;

  private readonly statusListener?: StatusChangeListener;

  /**
   * Changes of one message, one at a time in this process. A message has one writer, its workflow's activities, with
   * one exception: a cancelled batch cancels the messages it never started while the sender's cancel of one of them
   * starts its workflow (services/smsCancel.ts), whose first steps and cancel then run beside the batch's. On the
   * embedded store the worker is one process, and FerretDB applies an update as read, change, rewrite, so a
   * condition in the filter would not keep two writers apart there anyway.
   */
  private readonly writes = new KeyedSerial();

  /**
   * Whether a write may carry a condition besides `_id`: true on MongoDB (atomic, and indexed); FerretDB v1 scans the
   * whole collection for any filter but an exact `_id` (createRepositories decides, from the store's buildInfo).
   */
  private readonly conditionalWrites: boolean;

  constructor(
    db: Db,
    upkeep: { lists?: MessageLists; aggregates?: MessageAggregates; statusListener?: StatusChangeListener; conditionalWrites?: boolean } = {},
  ) {
    this.col = db.collection<SmsMessage>('sms_messages');
    this.refs = db.collection('sms_provider_refs');
    this.lists = upkeep.lists;
    this.aggregates = upkeep.aggregates;
    this.statusListener = upkeep.statusListener;
    this.conditionalWrites = upkeep.conditionalWrites ?? false;
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    await ensureIndexes(this.col, plan, [
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
      // sms-logs filtered by template
      { key: { template_code: 1, created_at: -1 }, name: 'template_created_at' },
      // sms-logs looked up by the caller's order reference
      { key: { 'metadata.order_id': 1 }, name: 'order_id' },
    ]);
  }

  /**
   * Inserts unless the id exists (idempotent requests); returns the stored document either way. `routeSkips`:
   * providers its route, planned at intake, passed over and why (recorded as `prepareSend` would have).
   */
  async insertIfAbsent(message: NewMessage, { routeSkips }: { routeSkips?: RouteSkip[] } = {}): Promise<{ inserted: boolean; message: SmsMessage }> {
    const now = new Date();
    const doc = queuedMessage(message, now);
    if (routeSkips?.length) doc.events.push(routePlannedEvent(routeSkips, now));
    await this.lists?.addNew(doc);
    try {
      await this.col.insertOne(doc);
      return { inserted: true, message: doc };
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
      const existing = await this.col.findOne({ _id: message._id });
      if (!existing) throw err;
      return { inserted: false, message: existing };
    }
  }

  /** Batch pages: inserts what is missing and leaves existing messages alone, so a retried page is harmless. */
  async insertManyIfAbsent(messages: NewMessage[], now = new Date()): Promise<void> {
    if (messages.length === 0) return;
    // Created where the rollups are owned (batch pages, in the worker): counted from the start, so a batch's counts
    // show what is prepared and not yet sent. Counted before the insert, as every change moves its counters before
    // its message write: a page cut off in between is counted again by its retry (the drift `rebuild-aggregates`
    // repairs), never stored as counted without its counts, which its later changes would drive below zero.
    const docs = messages.map((m) => queuedMessage(m, now)).map((d) => (this.aggregates ? { ...d, counted: countedState(d) } : d));
    await Promise.all([...docs.map((d) => this.lists?.addNew(d)), this.countPage(docs)]);
    let duplicates = new Set<number>();
    try {
      await this.col.insertMany(docs, { ordered: false });
    } catch (err) {
      const writeErrors = (err as { writeErrors?: { code: number; index: number }[] | { code: number; index: number } }).writeErrors;
      const errors = Array.isArray(writeErrors) ? writeErrors : writeErrors ? [writeErrors] : [];
      if (errors.length === 0 || errors.some((e) => !isDuplicateKey(e))) throw err;
      duplicates = new Set(errors.map((e) => e.index));
    }
    // Stored by an earlier try of this page, which counted them then.
    await Promise.all(docs.filter((_, i) => duplicates.has(i)).map((d) => this.aggregates?.uncount(d)));
  }

  /** Counts a page's messages, or none: counts that went through are taken back if any failed, so the retry is exact. */
  private async countPage(docs: SmsMessage[]): Promise<void> {
    const aggregates = this.aggregates;
    if (!aggregates) return;
    const counts = await Promise.allSettled(docs.map((d) => aggregates.count(d)));
    const failed = counts.find((c) => c.status === 'rejected');
    if (!failed) return;
    await Promise.all(docs.filter((_, i) => counts[i].status === 'fulfilled').map((d) => aggregates.uncount(d)));
    throw failed.reason;
  }

  findById(id: string): Promise<SmsMessage | null> {
    return this.col.findOne({ _id: id });
  }

  /**
   * Receipts that do not carry our id (Every8d's account-wide callback, for a send whose subject could not name the
   * message) are matched through sms_provider_refs, a lookup by `_id`: the one query FerretDB answers without
   * scanning, and cheap on MongoDB too.
   */
  async findIdByProviderMessageId(provider: ProviderName, providerMessageId: string): Promise<string | undefined> {
    return (await this.refs.findOne({ _id: `${provider}:${providerMessageId}` }))?.message_id;
  }

  /**
   * The first step of a message's workflow: from here on it counts in the figures, once. A step retried after a
   * crash between the two writes counts it twice; the rebuild command repairs such drift.
   */
  async admit(id: string): Promise<SmsMessage | null> {
    return this.writes.run(id, async () => {
      const message = await this.col.findOne({ _id: id });
      if (message && (await this.countIfNew(message))) await this.col.updateOne({ _id: id }, { $set: { counted: message.counted } });
      return message;
    });
  }

  /** Stores messages in whatever state they are in, counted and listed (imports; the benchmark's history). */
  async insertCounted(messages: SmsMessage[]): Promise<void> {
    if (!this.aggregates) throw new Error('insertCounted needs the process that owns the rollups');
    await Promise.all(messages.flatMap((m) => [this.lists?.addNew(m), this.aggregates!.count(m)]));
    await this.col.insertMany(
      messages.map((m) => ({ ...m, counted: countedState(m) })),
      { ordered: false },
    );
  }

  /** Messages by id without their bodies and events (log pages), in parallel point reads; missing ones are absent. */
  async findSummaries(ids: string[]): Promise<SmsMessage[]> {
    const docs = await Promise.all(ids.map((_id) => this.col.findOne({ _id }, { projection: { events: 0, body: 0, attempts: 0 } })));
    return docs.filter((d): d is SmsMessage => d !== null);
  }

  /**
   * Retention: removes what identifies a customer (text, full number, template values and metadata other than the
   * order id), keeping what the figures and a support lookup by order need. Takes the messages as just read (the
   * caller first remembers their phone and order lists); those already purged are left alone, so a repeat is a no-op.
   */
  async anonymise(messages: SmsMessage[], now = new Date()): Promise<number> {
    const due = messages.filter((m) => !m.purged_at);
    await Promise.all(
      due.map((m) => {
        const orderId = m.metadata?.order_id;
        return this.col.updateOne(
          { _id: m._id },
          {
            $set: {
              body: '',
              phone_e164: m.phone_masked,
              phone_national: m.phone_masked,
              metadata: orderId === undefined ? {} : { order_id: orderId },
              purged_at: now,
            },
            // The fingerprint hashes the request (number and text included); a replay this late is refused anyway.
            $unset: { template_data: '', idempotency_fingerprint: '' },
          },
        );
      }),
    );
    return due.length;
  }

  /**
   * Records that an attempt is about to call the provider. Returns the attempt that was still open before it, if
   * any: a worker died mid-call, so the provider may already have the message. That attempt is closed as
   * `interrupted` and flagged ambiguous.
   */
  async recordAttemptStarted(
    id: string,
    provider: ProviderName,
    attempt: number,
    known?: SmsMessage,
  ): Promise<{ interrupted?: AttemptRecord; message: SmsMessage | null }> {
    let interrupted: AttemptRecord | undefined;
    const { message } = await this.change(
      id,
      (m, now) => {
        if (m.finished_at) return null;
        interrupted = m.open_attempt;
        const closed: AttemptRecord[] = interrupted
          ? [
              {
                ...interrupted,
                ...INTERRUPTED_ATTEMPT,
                finished_at: now,
              },
            ]
          : [];
        const events: MessageEvent[] = [
          ...(interrupted ? [{ at: now, type: 'possible_duplicate', provider: interrupted.provider, detail: { attempt: interrupted.attempt } }] : []),
          { at: now, type: 'attempt_started', status: 'sending', provider, detail: { attempt } },
        ];
        return {
          $set: { status: 'sending', provider, open_attempt: { provider, attempt, started_at: now }, updated_at: now },
          $push: { attempts: { $each: closed }, events: { $each: events } },
        };
      },
      known,
    );
    return { ...(interrupted ? { interrupted } : {}), message };
  }

  async recordAttemptFailed(id: string, provider: ProviderName, error: { code: string; message: string; ambiguous: boolean }): Promise<void> {
    await this.change(id, (m, now) => {
      // Its acceptance is on record: the attempt that failed to report it had got through (no second text to flag).
      if (m.status === 'sent' && !m.open_attempt) return null;
      const closed = this.closeOpenAttempt(m, { outcome: 'error', error_code: error.code, error_message: error.message, ambiguous: error.ambiguous }, now);
      return {
        $set: { updated_at: now },
        ...(closed.$unset ? { $unset: closed.$unset } : {}),
        $push: {
          ...closed.$push,
          events: {
            $each: [
              { at: now, type: 'attempt_failed', provider, detail: error },
              // The provider may have taken it (no answer in time): the next provider's text may be a second one.
              ...(error.ambiguous ? [{ at: now, type: 'possible_duplicate', provider, detail: { code: error.code } }] : []),
            ],
          },
        },
      };
    });
  }

  /** Records why routing passed providers over, in the message's events (`known`: the message as just read). */
  async recordRouteSkips(id: string, skipped: RouteSkip[], known?: SmsMessage): Promise<void> {
    await this.change(id, (m, now) => (m.finished_at ? null : { $push: { events: routePlannedEvent(skipped, now) } }), known);
  }

  /**
   * What recording this acceptance will charge: the cost (TWD) and the prepaid points; undefined when it is already
   * recorded (a repeat) or the message has ended, so usage is counted once.
   */
  static chargeFor(m: SmsMessage, sent: ProviderAccepted): { cost: number; points: number } | undefined {
    if (m.finished_at || m.provider_message_id === sent.providerMessageId) return undefined;
    // Every8d reports the points it charged (one per segment it billed): when given, that count wins.
    const points = sent.reportedCost ?? m.segments;
    return { cost: round(points * sent.pricePerSegment), points };
  }

  /**
   * Provider accepted: status `sent`, unless a receipt or a final state got there first. Returns what it charged
   * (chargeFor) when this call recorded the send, undefined for a repeat.
   */
  async markSent(id: string, sent: { provider: ProviderName } & ProviderAccepted, known?: SmsMessage): Promise<{ cost: number; points: number } | undefined> {
    if (sent.matchReceiptsByProviderId)
      await upsertRacing(() => this.refs.updateOne({ _id: `${sent.provider}:${sent.providerMessageId}` }, { $set: { message_id: id } }, { upsert: true }));
    let charged: { cost: number; points: number } | undefined;
    await this.change(
      id,
      (m, now) => {
        charged = MessageRepository.chargeFor(m, sent);
        if (!charged) return null;
        const { cost } = charged;
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
              detail: {
                provider_message_id: sent.providerMessageId,
                ...(sent.duplicate ? { provider_saw_duplicate: true } : {}),
                ...(sent.foundAfter ? { found_after_failure: sent.foundAfter } : {}),
              },
            },
          },
        };
      },
      known,
    );
    return charged;
  }

  /**
   * Applies a receipt only to the send it belongs to and only once. A message that ended `expired` waiting for this
   * very receipt takes it too (domain/lateReceipts.ts): it keeps when it was finished and notes that the receipt came
   * late. That is how a receipt that came after the workflow closed is applied (lateReceiptWorkflow), and one that
   * came while the workflow was recording the expiry (its replay then takes the receipt after `markFinal` stored it).
   */
  async applyDeliveryReport(id: string, report: DeliveryReport, final: boolean): Promise<boolean> {
    const { changed } = await this.change(id, (m, now) => {
      if (takesLateReceipt(m, report)) return lateReceiptChange(report, now);
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
        $push: { events: receiptEvent('receipt', report, now) },
      };
    });
    return changed;
  }

  /**
   * Final state without a receipt (failed, expired); never overwrites an earlier end. True when this call ended the
   * message (a retried step finds it ended).
   */
  async markFinal(id: string, status: 'failed' | 'expired', reason: { code: string; message: string }): Promise<boolean> {
    const { changed } = await this.change(id, (m, now) =>
      m.finished_at
        ? null
        : {
            $set: { status, error_code: reason.code, finished_at: now, updated_at: now },
            $push: { events: { at: now, type: status, status, detail: reason } },
          },
    );
    return changed;
  }

  /** A scheduled message's time has come: it waits for a provider (`queued`) like any other. */
  async markDue(id: string): Promise<void> {
    await this.change(id, (m, now) =>
      m.status !== 'scheduled' ? null : { $set: { status: 'queued', updated_at: now }, $push: { events: { at: now, type: 'due', status: 'queued' } } },
    );
  }

  /**
   * The sender took the message back while no provider had it (the workflow decides that, see SendGate): before any
   * provider call, or `sending` with no call open, after a call that did not get it through. The one change two
   * processes may make at once (see `writes`): across processes it is written only over the status it was decided
   * on where the store can say so (`conditionalWrites`), and the one that lost takes its counter moves back. True
   * when this call cancelled it.
   */
  async markCancelled(id: string, { openCallEnded = false } = {}): Promise<boolean> {
    const { changed } = await this.change(
      id,
      (m, now) => {
        if (m.finished_at) return null;
        const closed = CANCELLABLE_STATUSES.includes(m.status) || (m.status === 'sending' && !m.open_attempt);
        // `openCallEnded`: the workflow knows the open call is over (its worker died mid-call, and the retry was
        // dropped for this cancel). The provider may have the message, so that attempt is closed as ambiguous and
        // flagged, as a resend would flag it.
        const interrupted = !closed && m.status === 'sending' && openCallEnded ? m.open_attempt : undefined;
        if (!closed && !interrupted) return null;
        const closing = interrupted ? this.closeOpenAttempt(m, INTERRUPTED_ATTEMPT, now) : { $push: {} };
        const events: MessageEvent[] = [
          ...(interrupted ? [{ at: now, type: 'possible_duplicate', provider: interrupted.provider, detail: { attempt: interrupted.attempt } }] : []),
          { at: now, type: 'cancelled', status: 'cancelled' },
        ];
        return {
          $set: { status: 'cancelled', finished_at: now, updated_at: now },
          ...(closing.$unset ? { $unset: closing.$unset } : {}),
          $push: { ...closing.$push, events: { $each: events } },
        };
      },
      undefined,
      { contested: this.conditionalWrites },
    );
    return changed;
  }

  /**
   * Reads the message, lets `decide` return the change its current state calls for (or null), and writes it.
   * Returns the message as changed (top-level fields; pushed arrays are not replayed). `known` skips the read: the
   * message as a previous change of the same activity returned it. Safe because the message has one writer, the
   * activity holding it, so nothing changed it since. `contested`: a change another process may make at the same
   * time; it is written only if the message still has the status it was decided on, and one that lost takes its
   * counter moves back and is decided again on the message as the winner left it.
   */
  private change(
    id: string,
    decide: (message: SmsMessage, now: Date) => Change | null,
    known?: SmsMessage,
    { contested = false } = {},
  ): Promise<{ changed: boolean; message: SmsMessage | null }> {
    return this.writes.run(id, () => this.changeNow(id, decide, known, contested, CONTESTED_TRIES));
  }

  private async changeNow(
    id: string,
    decide: (message: SmsMessage, now: Date) => Change | null,
    known: SmsMessage | undefined,
    contested: boolean,
    tries: number,
  ): Promise<{ changed: boolean; message: SmsMessage | null }> {
    const message = known ? { ...known } : await this.col.findOne({ _id: id });
    if (!message) return { changed: false, message: null };
    const now = new Date();
    // A message whose route intake planned skips `prepareSend` (and its `admit`): its first change here counts it.
    const newlyCounted = await this.countIfNew(message);
    await this.settleCounts(message, message, now);
    const decided = decide(message, now);
    if (!decided) {
      if (newlyCounted) await this.col.updateOne({ _id: id }, { $set: { counted: message.counted } });
      return { changed: false, message };
    }
    // The listener's fields (a callback's sequence number) are written with the change itself, so a retried step
    // that finds the change applied makes no second callback.
    const heard = await this.statusListener?.beforeStatusChange(message, applied(message, decided), now);
    const update = heard ? { ...decided, $set: { ...(decided.$set ?? {}), ...heard.set } } : decided;
    const after = applied(message, update);
    // Lists and counters move first, then the message is written with the state its counters now reflect: a crash
    // before the write repeats the whole step (only a crash in between can count it twice), and a retried step or a
    // repeated receipt that finds the change applied moves nothing.
    // `sending` is a moment (the provider call), not a state anyone counts or filters by: entering it moves no
    // counters and no lists (two rollup and two list writes fewer per send). The next change moves both from the
    // state they last reflected, which `counted` records.
    const moment = after.status === 'sending';
    const reflected = message.counted ? asCounted(message, message.counted) : message;
    const counted = !this.aggregates || !message.counted ? undefined : moment ? (newlyCounted ? message.counted : undefined) : countedState(after);
    const movesCounters = !moment && counted !== undefined;
    if (!moment) await Promise.all([this.lists?.changed(reflected, after), movesCounters ? this.aggregates!.changed(reflected, after, now) : undefined]);
    const filter = contested ? { _id: id, status: message.status } : { _id: id };
    // `counted` is written only when it moves: a change that leaves the figures alone (route skips, say) must not put
    // back the state it read over one another process has written since.
    const writesCounted = counted !== undefined && (newlyCounted || !sameCountedState(message.counted!, counted));
    const written = await this.col.updateOne(filter, writesCounted ? { ...update, $set: { ...(update.$set ?? {}), counted } } : update);
    if (written.matchedCount === 0 && contested) {
      // Another writer changed it since it was read. Lists only gain candidates, which readers check, so they stay.
      if (movesCounters) await this.aggregates!.takenBack(reflected, after, now);
      if (tries > 1) return this.changeNow(id, decide, undefined, contested, tries - 1);
      return { changed: false, message: await this.col.findOne({ _id: id }) };
    }
    heard?.written();
    return { changed: true, message: counted ? { ...after, counted } : after };
  }

  /**
   * Counts a message not counted yet in the rollups, in its current state, and notes it in `message.counted`; the
   * caller writes that with its next write. Only where the rollups are owned (the worker); true when it counted.
   */
  private async countIfNew(message: SmsMessage): Promise<boolean> {
    if (!this.aggregates || message.counted) return false;
    await this.aggregates.count(message);
    message.counted = countedState(message);
    return true;
  }

  /**
   * Moves a counted message's rollup counters from the state they count (`counted`) to `current`, then records that
   * they do: for a message whose state was changed without its counters (by a process that does not own them, or
   * by data from before `counted` existed), found by its next change.
   */
  private async settleCounts(stored: SmsMessage, current: SmsMessage, now: Date): Promise<void> {
    // A message in `sending` is counted as it was before the call (see change()).
    if (!this.aggregates || !stored.counted || current.status === 'sending') return;
    const target = countedState(current);
    if (sameCountedState(stored.counted, target)) return;
    await this.aggregates.changed(asCounted(stored, stored.counted), current, now);
    await this.col.updateOne({ _id: stored._id }, { $set: { counted: target } });
    stored.counted = target;
  }

  /** The part of an update that moves the open attempt, if any, into `attempts` with its outcome. */
  private closeOpenAttempt(m: SmsMessage, result: Partial<AttemptRecord>, now: Date): { $unset?: { open_attempt: '' }; $push: { attempts?: AttemptRecord } } {
    if (!m.open_attempt) return { $push: {} };
    return { $unset: { open_attempt: '' }, $push: { attempts: { ...m.open_attempt, ...result, finished_at: now } } };
  }
}

/** The message as `update` left it, as far as figures and lists care (top-level `$set` and `$unset`). */
function applied(message: SmsMessage, update: Change): SmsMessage {
  const after = { ...message, ...(update.$set as Partial<SmsMessage>) } as Record<string, unknown>;
  for (const key of Object.keys((update.$unset as object) ?? {})) delete after[key];
  return after as unknown as SmsMessage;
}

/** A message as first stored: queued (scheduled when it waits for a later time), no attempts, its acceptance the first event. */
function queuedMessage(message: NewMessage, now: Date): SmsMessage {
  const status = message.scheduled_at ? 'scheduled' : 'queued';
  return { ...message, status, attempts: [], created_at: now, updated_at: now, events: [{ at: now, type: 'accepted', status }] };
}

type RouteSkip = { provider: ProviderName; reason: string };

const routePlannedEvent = (skipped: RouteSkip[], at: Date): MessageEvent => ({ at, type: 'route_planned', detail: { skipped } });

const round = (n: number): number => Math.round(n * 10_000) / 10_000;

const receiptEvent = (type: 'receipt' | 'late_receipt', report: DeliveryReport, at: Date): MessageEvent => ({
  at,
  type,
  status: report.outcome,
  provider: report.provider,
  detail: { provider_status: report.providerStatus, error_code: report.errorCode },
});

/** How often a contested change is decided again after losing to another writer; then it is left to the winner. */
const CONTESTED_TRIES = 5;

/** The receipt's outcome over an `expired` end: `finished_at` stays, receipt_timeout gives way to the receipt's own code. */
function lateReceiptChange(report: DeliveryReport, now: Date): Change {
  return {
    $set: {
      status: report.outcome,
      provider_status: report.providerStatus,
      ...(report.outcome === 'delivered' ? { delivered_at: new Date(report.receivedAt) } : {}),
      ...(report.errorCode ? { error_code: report.errorCode } : {}),
      updated_at: now,
    },
    ...(report.errorCode ? {} : { $unset: { error_code: '' as const } }),
    $push: { events: receiptEvent('late_receipt', report, now) },
  };
}
