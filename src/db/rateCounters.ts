import type { Collection, Db } from 'mongodb';
import { ensureIndexes } from './indexes';
import { upsertRacing } from './upsert';

interface RateCounter {
  _id: string;
  scope: string;
  count: number;
  expires_at: Date;
}

/**
 * rate_counters: fixed-window counters shared by every API replica, so limits hold however many run and survive
 * restarts. FerretDB v1 has no TTL indexes, so a scope's expired windows are removed when it opens a new one.
 */
export class RateCounterRepository {
  private readonly col: Collection<RateCounter>;

  constructor(db: Db) {
    this.col = db.collection<RateCounter>('rate_counters');
  }

  async ensureIndexes(): Promise<void> {
    // clean-up of one scope's expired windows
    await ensureIndexes(this.col, [{ key: { scope: 1, expires_at: 1 }, name: 'scope_expires_at' }]);
  }

  /** Atomically counts one more event in the window starting at `windowStart`; returns the new count. */
  async increment(scope: string, windowStart: Date, windowEnd: Date): Promise<number> {
    const id = `${scope}@${windowStart.getTime()}`;
    const doc = await upsertRacing(() =>
      this.col.findOneAndUpdate({ _id: id }, { $inc: { count: 1 }, $setOnInsert: { scope, expires_at: windowEnd } }, { upsert: true, returnDocument: 'after' }),
    );
    const count = doc?.count ?? 1;
    if (count === 1) await this.col.deleteMany({ scope, expires_at: { $lt: windowStart } });
    return count;
  }

  /** Gives back an increment that was refused, so a rejected request does not use up the allowance. */
  async decrement(scope: string, windowStart: Date): Promise<void> {
    await this.col.updateOne({ _id: `${scope}@${windowStart.getTime()}` }, { $inc: { count: -1 } });
  }

  /** Retention: windows of scopes that never opened a new one. A scan on FerretDB, run daily in the background. */
  async deleteExpired(now: Date): Promise<number> {
    return (await this.col.deleteMany({ expires_at: { $lt: now } })).deletedCount;
  }
}
