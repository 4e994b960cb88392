import type { Collection, Db } from 'mongodb';
import { isDuplicateKey } from './upsert';
import type { ProviderName } from '../domain/sms';
import { LatestValueWriter } from './latestValueWriter';

/** Where a balance figure came from. */
export type BalanceSource = 'send_reply' | 'no_credit_reply' | 'balance_query';

/** The last known prepaid balance of one provider account, in the provider's points (one per segment). */
export interface ProviderBalance {
  _id: ProviderName;
  points: number;
  source: BalanceSource;
  /** When the provider said so. */
  observed_at: Date;
}

/**
 * provider_balances: one document per provider, read and written by `_id` only (the one filter FerretDB answers
 * without scanning). Send replies report the balance with every message, so they never cost a write each: a
 * process keeps the newest figure and writes it at most once per `writeEveryMs` (LatestValueWriter); routing reads
 * all balances at most once per `readEveryMs`, overlaid with what this process saw since. A lost figure (a crash
 * before its write) only leaves an older one, which the next reply or the scheduled balance query replaces.
 */
export class ProviderBalanceRepository {
  private readonly col: Collection<ProviderBalance>;

  private readonly writer: LatestValueWriter<ProviderBalance>;

  /** Figures this process saw, newest per provider: routing must not wait for their write to see them. */
  private readonly seen = new Map<ProviderName, ProviderBalance>();

  private cached?: { readAt: number; balances: Promise<Map<ProviderName, ProviderBalance>> };

  constructor(
    db: Db,
    private readonly readEveryMs = 1_000,
    writeEveryMs = 1_000,
  ) {
    this.col = db.collection<ProviderBalance>('provider_balances');
    this.writer = new LatestValueWriter((doc) => this.write(doc), writeEveryMs);
  }

  async ensureIndexes(): Promise<void> {
    // read and written by _id (the provider name) only
  }

  /** A figure from a send reply: kept at once for this process's routing, stored soon after (coalesced). */
  observe(provider: ProviderName, points: number, source: BalanceSource, at = new Date()): void {
    const doc: ProviderBalance = { _id: provider, points, source, observed_at: at };
    const before = this.seen.get(provider);
    if (before && before.observed_at > at) return;
    this.seen.set(provider, doc);
    this.writer.set(provider, doc);
  }

  /** A figure from the balance query: stored before this returns. */
  async record(provider: ProviderName, points: number, at = new Date()): Promise<void> {
    const doc: ProviderBalance = { _id: provider, points, source: 'balance_query', observed_at: at };
    this.seen.set(provider, doc);
    await this.write(doc);
  }

  /** Every stored balance, read now (API views, alert evaluation). */
  async all(): Promise<Map<ProviderName, ProviderBalance>> {
    const rows = await this.col.find({}).toArray();
    return new Map(rows.map((r) => [r._id, r]));
  }

  /** For routing: stored balances no older than `readEveryMs`, overlaid with newer figures this process saw. */
  async current(now = Date.now()): Promise<Map<ProviderName, ProviderBalance>> {
    if (!this.cached || now - this.cached.readAt >= this.readEveryMs) {
      const balances = this.all();
      this.cached = { readAt: now, balances };
      balances.catch(() => {
        if (this.cached?.balances === balances) this.cached = undefined;
      });
    }
    const stored = await this.cached.balances;
    const merged = new Map(stored);
    for (const [provider, doc] of this.seen) {
      const other = merged.get(provider);
      if (!other || other.observed_at <= doc.observed_at) merged.set(provider, doc);
    }
    return merged;
  }

  /** Writes whatever figures are still waiting (shutdown). */
  flush(): Promise<void> {
    return this.writer.flush();
  }

  /**
   * Never over a newer figure: a send reply's balance waits up to a second before it is written, and a balance query
   * (or another process) may have stored a later one meanwhile. Then the filter misses, the upsert finds the `_id`
   * taken, and the newer figure stays. A figure of the same millisecond replaces the stored one: within a process the
   * writer hands them over in the order they were seen, so the later one is the newer.
   */
  private async write(doc: ProviderBalance): Promise<void> {
    try {
      await this.col.replaceOne({ _id: doc._id, observed_at: { $lte: doc.observed_at } }, doc, { upsert: true });
    } catch (err) {
      if (!isDuplicateKey(err)) throw err;
    }
  }
}
