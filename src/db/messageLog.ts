import type { Db } from 'mongodb';
import { LookupReader } from './lookups';
import { orderRefOf } from './messageAggregates';
import type { MessageRepository, SmsMessage } from './messages';
import { family, type Entry, type Family } from '../domain/lookupKeys';
import type { MessageType, ProviderName, SmsStatus } from '../domain/sms';

/** Filters of the log and the export; every value is a parsed plain value, never client-supplied operators. */
export interface MessageFilter {
  status?: SmsStatus;
  provider?: ProviderName;
  messageType?: MessageType;
  phoneE164?: string;
  batchId?: string;
  templateCode?: string;
  orderRef?: string;
  /** Only messages this principal sent (a sender's own log): checked on each candidate, no list of its own. */
  sentBy?: string;
  from?: Date;
  to?: Date;
}

export interface LogPage {
  items: SmsMessage[];
  /** Where the next page starts; absent when the walk reached the end of the range. */
  next?: Entry;
}

/** Candidates checked per round trip, and at most per page, and time spent walking: a page's cost is bounded whatever the filter. */
const FETCH_GROUP = 50;
const MAX_EXAMINED_PER_PAGE = 2_000;
const MAX_WALK_MS = 200;

/**
 * The message log: walks the most selective lookup list for the filter newest first, fetches the candidates by
 * `_id`, and keeps those whose current state matches every filter. Nothing here scans sms_messages, so a page costs
 * the same at a million messages as at a thousand. A page that examined its budget without filling up still returns
 * a cursor, so a rare combination of filters pages on instead of taking longer.
 */
export class MessageLog {
  private readonly lookups: LookupReader;

  constructor(
    db: Db,
    private readonly messages: MessageRepository,
    /** How far back a walk without `from` goes: messages older than retention have left the lists. */
    private readonly lookbackMs: number,
  ) {
    this.lookups = new LookupReader(LookupReader.collection(db));
  }

  async page(filter: MessageFilter, limit: number, after?: Entry): Promise<LogPage> {
    const items: SmsMessage[] = [];
    const started = Date.now();
    let examined = 0;
    let last: Entry | undefined;
    for await (const group of this.candidateGroups(filter, after)) {
      const found = await this.matching(group, filter);
      for (const entry of group) {
        last = entry;
        if (entry.id === '') continue; // a slot boundary: only a place to resume from
        examined += 1;
        const m = found.get(entry.id);
        if (m && m.created_at.getTime() === entry.ms) items.push(m);
        if (items.length === limit) return { items, next: entry };
      }
      if (last && (examined >= MAX_EXAMINED_PER_PAGE || Date.now() - started > MAX_WALK_MS)) return { items, next: last };
    }
    return { items };
  }

  /** Every matching message, newest first, fetched a group at a time (the CSV export streams this). */
  async *scan(filter: MessageFilter): AsyncGenerator<SmsMessage> {
    for await (const group of this.candidateGroups(filter)) {
      const found = await this.matching(group, filter);
      for (const entry of group) {
        const m = entry.id === '' ? undefined : found.get(entry.id);
        if (m && m.created_at.getTime() === entry.ms) yield m;
      }
    }
  }

  private async *candidateGroups(filter: MessageFilter, after?: Entry): AsyncGenerator<Entry[]> {
    const now = Date.now();
    // Lists hold messages by creation time, which retention bounds from below and the clock from above: a range
    // beyond either (to=9999-12-31) would only walk millions of empty days.
    const oldest = now - this.lookbackMs;
    const newest = now + 60_000;
    const range = {
      fromMs: Math.max(filter.from?.getTime() ?? oldest, oldest),
      toMs: Math.min(filter.to?.getTime() ?? newest, newest),
      after,
    };
    const seen = new Set<string>();
    let group: Entry[] = [];
    const [driver, ...alsoIn] = familiesFor(filter);
    for await (const entry of this.lookups.entries(driver, range, driver.timed ? alsoIn : [])) {
      if (entry.boundary) {
        group.push({ ms: entry.ms, id: '' });
        yield group;
        group = [];
        continue;
      }
      const key = `${entry.ms}|${entry.id}`;
      if (seen.has(key)) continue; // listed under a status twice (a reroute): shown once
      seen.add(key);
      group.push(entry);
      if (group.length === FETCH_GROUP) {
        yield group;
        group = [];
      }
    }
    if (group.length) yield group;
  }

  private async matching(group: Entry[], filter: MessageFilter): Promise<Map<string, SmsMessage>> {
    const found = await this.messages.findSummaries(group.filter((e) => e.id !== '').map((e) => e.id));
    return new Map(found.filter((m) => matches(m, filter)).map((m) => [m._id, m]));
  }
}

/**
 * The lists to walk, most selective first: a number or an order is a handful of messages and is walked alone; time-
 * sliced lists (batch, template, status, provider, type) are intersected slot by slot.
 */
function familiesFor(f: MessageFilter): Family[] {
  if (f.phoneE164) return [family.phone(f.phoneE164)];
  if (f.orderRef) return [family.orderRef(f.orderRef)];
  const timed = [
    f.batchId && family.batch(f.batchId),
    f.templateCode && family.template(f.templateCode),
    f.status && family.status(f.status),
    f.provider && family.provider(f.provider),
    f.messageType && family.messageType(f.messageType),
  ].filter((x): x is Family => Boolean(x));
  return timed.length ? timed : [family.all()];
}

/** Lists only say a message once matched: its current state decides. */
function matches(m: SmsMessage, f: MessageFilter): boolean {
  return (
    (!f.status || m.status === f.status) &&
    (!f.provider || m.provider === f.provider) &&
    (!f.messageType || m.message_type === f.messageType) &&
    (!f.phoneE164 || m.phone_e164 === f.phoneE164) &&
    (!f.batchId || m.batch_id === f.batchId) &&
    (!f.templateCode || m.template_code === f.templateCode) &&
    (!f.orderRef || orderRefOf(m) === f.orderRef) &&
    (!f.sentBy || m.sent_by?.id === f.sentBy)
  );
}
