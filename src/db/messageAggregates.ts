import type { Db } from 'mongodb';
import { CoalescingWriter } from './coalescingWriter';
import { LookupReader, LookupWriter, type LookupWriterTag } from './lookups';
import { outcomeId } from './rollups';
import type { CountedState, SmsMessage } from './messageTypes';
import { family, type Family } from '../domain/lookupKeys';
import { isTransactional } from '../domain/sms';
import { rollupDelta, type CountedMessage, type RollupDoc } from '../domain/rollups';

const OUTCOMES = new Set(['delivered', 'undelivered', 'expired']);

/** What a stored message contributes to the rollups. */
export function countedView(m: SmsMessage): CountedMessage {
  return {
    createdAt: m.created_at,
    status: m.status,
    provider: m.provider,
    messageType: m.message_type,
    segments: m.segments,
    cost: m.cost,
    batchId: m.batch_id,
    templateCode: m.template_code,
    variant: m.template_code ? (m.variant ?? 'default') : undefined,
    sentAt: m.sent_at,
    deliveredAt: m.delivered_at,
  };
}

/** The counter-moving part of a message's state, as stored in `counted`. */
export function countedState(m: SmsMessage): CountedState {
  return {
    status: m.status,
    ...(m.provider ? { provider: m.provider } : {}),
    ...(m.cost !== undefined ? { cost: m.cost } : {}),
    ...(m.sent_at ? { sent_at: m.sent_at } : {}),
    ...(m.delivered_at ? { delivered_at: m.delivered_at } : {}),
  };
}

/** The message as its rollups count it: its stored `counted` state over its fixed fields. */
export function asCounted(m: SmsMessage, state: CountedState): SmsMessage {
  const { provider: _p, cost: _c, sent_at: _s, delivered_at: _d, ...fixed } = m;
  return { ...fixed, ...state };
}

export function sameCountedState(a: CountedState, b: CountedState): boolean {
  const t = (d?: Date) => d?.getTime();
  return a.status === b.status && a.provider === b.provider && a.cost === b.cost && t(a.sent_at) === t(b.sent_at) && t(a.delivered_at) === t(b.delivered_at);
}

/** The order reference a message can be looked up by (the seed document's `metadata.order_id`). */
export function orderRefOf(m: Pick<SmsMessage, 'metadata'>): string | undefined {
  const ref = m.metadata?.order_id;
  return typeof ref === 'string' || typeof ref === 'number' ? String(ref) : undefined;
}

/** Every lookup list a message belongs to in its current state. */
export function familiesOf(m: SmsMessage): Family[] {
  const ref = orderRefOf(m);
  return [
    family.all(),
    family.messageType(m.message_type),
    family.status(m.status),
    family.phone(m.phone_e164),
    ...(m.provider ? [family.provider(m.provider)] : []),
    ...(m.template_code ? [family.template(m.template_code)] : []),
    ...(m.batch_id ? [family.batch(m.batch_id)] : []),
    ...(ref ? [family.orderRef(ref)] : []),
  ];
}

/** Keeps a message's lookup-list entries in step with its state; one per process that writes messages. */
export class MessageLists {
  private readonly lookups: LookupWriter;

  constructor(db: Db, tag: LookupWriterTag, lingerMs = 0) {
    this.lookups = new LookupWriter(LookupReader.collection(db), tag, lingerMs);
  }

  /**
   * Lists a message about to be stored. Called before the insert: an entry whose message never got stored (or was
   * stored earlier with another creation time) is skipped by readers, while a stored message missing from its lists
   * would be invisible to the log.
   */
  async addNew(m: SmsMessage): Promise<void> {
    const entry = { ms: m.created_at.getTime(), id: m._id };
    await Promise.all(familiesOf(m).map((f) => this.lookups.append(f, entry, isTransactional(m.message_type))));
  }

  /** Lists a changed message under its new status and provider; the old entries are skipped by readers. */
  async changed(before: SmsMessage, after: SmsMessage): Promise<void> {
    const entry = { ms: after.created_at.getTime(), id: after._id };
    const urgent = isTransactional(after.message_type);
    const writes: Promise<void>[] = [];
    if (after.status !== before.status) writes.push(this.lookups.append(family.status(after.status), entry, urgent));
    if (after.provider && after.provider !== before.provider) writes.push(this.lookups.append(family.provider(after.provider), entry, urgent));
    await Promise.all(writes);
  }
}

/**
 * Keeps the rollups (figures) in step with sms_messages. Only the worker process owns one (and offline tools such
 * as the rebuild, run with the worker stopped): its writer serialises per document, which is what keeps FerretDB's
 * non-atomic updates exact (see CoalescingWriter).
 */
export class MessageAggregates {
  private readonly rollups: CoalescingWriter<RollupDoc>;

  constructor(db: Db, lingerMs = 0) {
    this.rollups = new CoalescingWriter(db.collection<RollupDoc>('sms_rollups'), 8, lingerMs);
  }

  /** A message starts counting in the figures. */
  count(m: SmsMessage): Promise<void> {
    return this.applyRollups(undefined, m);
  }

  /** Takes back what `count(m)` added, for a message whose insert found it stored already. */
  uncount(m: SmsMessage): Promise<void> {
    return this.applyRollups(m, undefined);
  }

  /** A counted message changed state: move its counts, and count an outcome for the alert windows. */
  async changed(before: SmsMessage, after: SmsMessage, now: Date): Promise<void> {
    await this.move(before, after, now, 1);
  }

  /** Takes back what `changed(before, after, now)` moved, for a change whose message write lost to another writer. */
  async takenBack(before: SmsMessage, after: SmsMessage, now: Date): Promise<void> {
    await this.move(before, after, now, -1);
  }

  private async move(before: SmsMessage, after: SmsMessage, now: Date, sign: 1 | -1): Promise<void> {
    const writes: Promise<void>[] = [sign > 0 ? this.applyRollups(before, after) : this.applyRollups(after, before)];
    if (after.provider && OUTCOMES.has(after.status) && !OUTCOMES.has(before.status)) {
      const inc = { [`${after.provider}.decided`]: sign, ...(after.status === 'delivered' ? { [`${after.provider}.delivered`]: sign } : {}) };
      const urgent = isTransactional(after.message_type);
      writes.push(this.rollups.apply(outcomeId.second(Math.floor(now.getTime() / 1000)), { inc }, urgent));
      writes.push(this.rollups.apply(outcomeId.minute(Math.floor(now.getTime() / 60_000)), { inc }, urgent));
    }
    await Promise.all(writes);
  }

  private async applyRollups(before: SmsMessage | undefined, after: SmsMessage | undefined): Promise<void> {
    const delta = rollupDelta(before && countedView(before), after && countedView(after));
    const urgent = isTransactional((after ?? before)!.message_type);
    await Promise.all([...delta].map(([docId, inc]) => this.rollups.apply(docId, { inc }, urgent)));
  }
}
