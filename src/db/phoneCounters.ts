import type { Collection, Db } from 'mongodb';
import { phoneBucket, type BudgetWindow } from '../domain/phoneBudget';
import { KeyedSerial } from './keyedSerial';
import { upsertRacing } from './upsert';

/** One window's counts for the numbers of one bucket: `counts.p<digits>` (a prefix, so no key looks like an index). */
interface PhoneCounterDoc {
  _id: string;
  scope: string;
  counts: Record<string, number>;
  expires_at: Date;
}

/** Documents written at once; SQLite takes one writer at a time, more would only queue as `database is locked`. */
const PARALLEL = 8;

const field = (e164: string) => `p${e164.replace(/\D/g, '')}`;

/**
 * Per-number message counts in `rate_counters`, grouped into bucket documents so that a batch of 100 000 numbers
 * costs at most a couple of thousand writes, not one per number, while a single send stays one write per window.
 *
 * Why the queue per document: FerretDB v1 applies `$inc` as read, change, rewrite with no atomicity (see
 * `coalescingWriter.ts`), so two concurrent increments of one document lose one. Writing each document one update
 * at a time in this process keeps the embedded store exact; on MongoDB `$inc` is atomic anyway. Expired windows are
 * removed by the daily retention run (`RateCounterRepository.deleteExpired`, same collection).
 */
export class PhoneCounterRepository {
  private readonly col: Collection<PhoneCounterDoc>;

  /** Writes of one document, one after another in this process. */
  private readonly serially = new KeyedSerial();

  constructor(db: Db) {
    this.col = db.collection<PhoneCounterDoc>('rate_counters');
  }

  async ensureIndexes(): Promise<void> {
    // Read and written by `_id` only; clean-up by expires_at uses the index RateCounterRepository declares.
  }

  /** Adds `by` to each number's count in this window; answers each number's count afterwards. */
  async add(scope: string, window: BudgetWindow, numbers: string[], by: 1 | -1): Promise<Map<string, number>> {
    const byBucket = new Map<number, string[]>();
    for (const n of numbers) {
      const bucket = phoneBucket(n);
      const members = byBucket.get(bucket);
      if (members) members.push(n);
      else byBucket.set(bucket, [n]);
    }
    const counts = new Map<string, number>();
    const buckets = [...byBucket];
    const next = async (): Promise<void> => {
      const item = buckets.shift();
      if (!item) return;
      const [bucket, members] = item;
      const id = `${scope}:${window.name}@${window.start.getTime()}#${bucket}`;
      const inc = Object.fromEntries(members.map((n) => [`counts.${field(n)}`, by]));
      const doc = await this.serially.run(id, () =>
        upsertRacing(() =>
          this.col.findOneAndUpdate(
            { _id: id },
            { $inc: inc, $setOnInsert: { scope: `${scope}:${window.name}`, expires_at: window.end } },
            { upsert: true, returnDocument: 'after' },
          ),
        ),
      );
      for (const n of members) counts.set(n, doc?.counts?.[field(n)] ?? 0);
      return next();
    };
    await Promise.all(Array.from({ length: Math.min(PARALLEL, buckets.length) }, next));
    return counts;
  }
}
