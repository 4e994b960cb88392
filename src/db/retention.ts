import type { Collection, Db } from 'mongodb';

/** What one retention run did; kept as the last run's summary and written to the audit log. */
export interface RetentionCounts {
  days: number;
  messages: number;
  lookup_docs: number;
  keyed_lists: number;
  recipient_chunks: number;
  webhook_events: number;
  /** Held receipts that no send came for (counted by the run's last step). */
  early_receipts?: number;
  counters: number;
}

export interface RetentionState {
  _id: 'state';
  /** First UTC day (YYYYMMDD) not yet purged: every day before it has been walked. */
  watermark_day?: string;
  /** Outcome counters (sms_rollups `out|…`) are gone for every minute before this one (epoch minutes). */
  outcomes_cleaned_minute?: number;
  last_run?: { at: Date; counts: RetentionCounts };
  updated_at: Date;
}

/** Family names (`p:…`, `r:…`) whose month list is dropped once the whole month is past retention. */
interface KeyedPending {
  _id: string;
  /** Index document of a month: the pending pages not yet dropped. */
  pages?: string[];
  /** Pending page: family names seen among purged messages of that month. */
  names?: string[];
}

type RetentionDoc = RetentionState | KeyedPending;

const indexId = (month: string) => `keyed|${month}`;

/**
 * sms_retention: the purge's progress (one state document) and, per month, the phone and order-reference lists to
 * drop once the month has fully left retention. The numbers are remembered here because anonymising a message removes
 * them from the message, and a month's lists can only go when its last day has been purged.
 * Only the retention workflow writes here (its schedule never overlaps runs), so plain updates are safe on FerretDB.
 */
export class RetentionRepository {
  private readonly col: Collection<RetentionDoc>;

  constructor(db: Db) {
    this.col = db.collection<RetentionDoc>('sms_retention');
  }

  async ensureIndexes(): Promise<void> {
    // every read is by _id
  }

  async state(): Promise<RetentionState | null> {
    return (await this.col.findOne({ _id: 'state' })) as RetentionState | null;
  }

  async setWatermark(day: string): Promise<void> {
    await this.col.updateOne({ _id: 'state' }, { $set: { watermark_day: day, updated_at: new Date() } }, { upsert: true });
  }

  async setOutcomesCleaned(minute: number): Promise<void> {
    await this.col.updateOne({ _id: 'state' }, { $set: { outcomes_cleaned_minute: minute, updated_at: new Date() } }, { upsert: true });
  }

  async recordRun(counts: RetentionCounts, at = new Date()): Promise<void> {
    await this.col.updateOne({ _id: 'state' }, { $set: { last_run: { at, counts }, updated_at: at } }, { upsert: true });
  }

  /** Remembers lists to drop with their month; `page` is stable per purge page, so a retried page rewrites the same one. */
  async rememberKeyedLists(month: string, page: string, names: string[]): Promise<void> {
    if (names.length === 0) return;
    const pageId = `${indexId(month)}|${page}`;
    await this.col.updateOne({ _id: pageId }, { $addToSet: { names: { $each: names } } }, { upsert: true });
    await this.col.updateOne({ _id: indexId(month) }, { $addToSet: { pages: pageId } }, { upsert: true });
  }

  /** One remembered page of a month, or undefined when none is left. */
  async nextKeyedPage(month: string): Promise<{ pageId: string; names: string[] } | undefined> {
    const index = (await this.col.findOne({ _id: indexId(month) })) as KeyedPending | null;
    const pageId = index?.pages?.[0];
    if (!pageId) {
      if (index) await this.col.deleteOne({ _id: indexId(month) });
      return undefined;
    }
    const page = (await this.col.findOne({ _id: pageId })) as KeyedPending | null;
    return { pageId, names: page?.names ?? [] };
  }

  async forgetKeyedPage(month: string, pageId: string): Promise<void> {
    await this.col.deleteOne({ _id: pageId });
    await this.col.updateOne({ _id: indexId(month) }, { $pull: { pages: pageId } });
  }
}
