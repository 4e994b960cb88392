import type { Collection, Db } from 'mongodb';
import { ensureIndexes, type IndexPlan } from './indexes';
import { CountingWriter } from './countingWriter';

interface RateCounter {
  _id: string;
  scope: string;
  count: number;
  expires_at: Date;
}

/**
 * rate_counters: fixed-window counters shared by every API replica (on MongoDB), so limits hold however many run and
 * survive restarts. FerretDB v1 has no TTL indexes, so a scope's expired windows are removed when it opens a new one.
 */
export class RateCounterRepository {
  private readonly col: Collection<RateCounter>;

  /** Exact on FerretDB too, within this process: see CountingWriter. */
  private readonly counts: CountingWriter<RateCounter>;

  constructor(db: Db) {
    this.col = db.collection<RateCounter>('rate_counters');
    this.counts = new CountingWriter(this.col);
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    // the daily removal of expired windows (deleteExpired)
    await ensureIndexes(this.col, plan, [{ key: { expires_at: 1 }, name: 'expires_at' }]);
  }

  /** Counts one more event in the window starting at `windowStart`; returns the count including this one. */
  async increment(scope: string, windowStart: Date, windowEnd: Date): Promise<number> {
    const doc = await this.counts.add(`${scope}@${windowStart.getTime()}`, { count: 1 }, { scope, expires_at: windowEnd });
    const count = doc.count ?? 1;
    // The window before this one is over: removed by `_id` (a point write; a filter on scope would scan on FerretDB).
    // Windows a scope skipped are left to the daily deleteExpired.
    if (count === 1) await this.col.deleteOne({ _id: `${scope}@${windowStart.getTime() - (windowEnd.getTime() - windowStart.getTime())}` });
    return count;
  }

  /** Gives back an increment that was refused, so a rejected request does not use up the allowance. */
  async decrement(scope: string, windowStart: Date): Promise<void> {
    await this.counts.add(`${scope}@${windowStart.getTime()}`, { count: -1 });
  }

  /** The count in the window starting at `windowStart` (0 when nothing was counted), without counting. */
  async current(scope: string, windowStart: Date): Promise<number> {
    return (await this.col.findOne({ _id: `${scope}@${windowStart.getTime()}` }))?.count ?? 0;
  }

  /** Retention: windows of scopes that never opened a new one. A scan on FerretDB, run daily in the background. */
  async deleteExpired(now: Date): Promise<number> {
    return (await this.col.deleteMany({ expires_at: { $lt: now } })).deletedCount;
  }
}
