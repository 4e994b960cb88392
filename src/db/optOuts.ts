import type { Collection, Db } from 'mongodb';
import { insertUnlessPresent } from './upsert';
import type { OptOutSource } from '../domain/optOut';

const POINT_READ_LIMIT = 500;

/** One suppressed number. `_id` is its E.164 form, so every check is a point read (FerretDB pushes down only `_id`). */
export interface OptOut {
  _id: string;
  phone_masked: string;
  source: OptOutSource;
  /** The provider that reported it (inbound reply or unsubscribed-recipient error). */
  provider?: string;
  /** Why, in words: the reply keyword, the provider error, or the operator's note. */
  reason?: string;
  created_by: string;
  created_at: Date;
}

/** sms_opt_outs: the suppression ledger. Entries are added once and removed only by an operator. */
export class OptOutRepository {
  private readonly col: Collection<OptOut>;

  constructor(db: Db) {
    this.col = db.collection<OptOut>('sms_opt_outs');
  }

  async ensureIndexes(): Promise<void> {
    // checks and removals are by _id; the admin listing walks _id order
  }

  /** Adds the number unless it is already suppressed; the first entry (and its reason) is kept. */
  addIfAbsent(entry: OptOut): Promise<boolean> {
    return insertUnlessPresent(this.col, entry);
  }

  get(e164: string): Promise<OptOut | null> {
    return this.col.findOne({ _id: e164 });
  }

  async remove(e164: string): Promise<OptOut | null> {
    return this.col.findOneAndDelete({ _id: e164 });
  }

  /** A page in number order, after `after` (an E.164 number). The ledger is small next to the message log. */
  list(limit: number, after?: string): Promise<OptOut[]> {
    return this.col
      .find(after ? { _id: { $gt: after } } : {})
      .sort({ _id: 1 })
      .limit(limit)
      .toArray();
  }

  /**
   * Which of these numbers are suppressed. A few numbers: one point read each. A large batch: one pass over the
   * ledger's ids instead, which costs the ledger's size rather than the batch's (FerretDB cannot push `$in` down).
   */
  async suppressedAmong(e164s: string[]): Promise<Set<string>> {
    if (e164s.length > POINT_READ_LIMIT) {
      const wanted = new Set(e164s);
      const ids = await this.col.find({}, { projection: { _id: 1 } }).toArray();
      return new Set(ids.map((d) => d._id).filter((id) => wanted.has(id)));
    }
    const found = await Promise.all(e164s.map((p) => this.col.findOne({ _id: p }, { projection: { _id: 1 } })));
    return new Set(found.flatMap((d) => (d ? [d._id] : [])));
  }
}
