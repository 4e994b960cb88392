import type { Collection, Db } from 'mongodb';
import { rollupId, type RollupCell, type RollupDoc } from '../domain/rollups';

/** Alert windows read outcomes per minute, and per second at the window's ragged edges. */
const outcomeId = { second: (s: number) => `out|s|${s}`, minute: (m: number) => `out|m|${m}` };

export type OutcomeCounts = Map<string, { decided: number; delivered: number }>;

/**
 * sms_rollups: figures kept as counters (see domain/rollups.ts), read by `_id` only, so a read costs the same at a
 * thousand messages as at a million. Written by MessageAggregates in the worker.
 */
export class RollupRepository {
  readonly col: Collection<RollupDoc>;

  constructor(db: Db) {
    this.col = db.collection<RollupDoc>('sms_rollups');
  }

  async ensureIndexes(): Promise<void> {
    // Every read is by _id: nothing to declare.
  }

  /** The day rollups of these Asia/Taipei dates (missing days are simply absent), in parallel point reads. */
  async days(dates: string[]): Promise<RollupDoc[]> {
    const docs = await Promise.all(dates.map((d) => this.col.findOne({ _id: rollupId.day(d) })));
    return docs.filter((d): d is RollupDoc => d !== null);
  }

  batch(batchId: string): Promise<RollupDoc | null> {
    return this.col.findOne({ _id: rollupId.batch(batchId) });
  }

  template(code: string): Promise<RollupDoc | null> {
    return this.col.findOne({ _id: rollupId.template(code) });
  }

  /** A template's cells, one per variant (none yet: empty). */
  async templateCells(code: string): Promise<Record<string, RollupCell>> {
    return (await this.template(code))?.cells ?? {};
  }

  /** Outcomes (delivered, undelivered, expired) per provider between `since` and `now`. */
  async outcomesBetween(since: Date, now: Date): Promise<OutcomeCounts> {
    const firstMinute = Math.ceil(since.getTime() / 60_000);
    const endMinute = Math.floor(now.getTime() / 60_000);
    const ids: string[] = [];
    if (firstMinute >= endMinute) {
      for (let s = Math.floor(since.getTime() / 1000); s <= Math.floor(now.getTime() / 1000); s++) ids.push(outcomeId.second(s));
    } else {
      for (let m = firstMinute; m < endMinute; m++) ids.push(outcomeId.minute(m));
      for (let s = Math.floor(since.getTime() / 1000); s < firstMinute * 60; s++) ids.push(outcomeId.second(s));
      for (let s = endMinute * 60; s <= Math.floor(now.getTime() / 1000); s++) ids.push(outcomeId.second(s));
    }
    const docs = await Promise.all(ids.map((_id) => this.col.findOne({ _id }) as Promise<Record<string, unknown> | null>));
    const counts: OutcomeCounts = new Map();
    for (const doc of docs) {
      for (const [provider, c] of Object.entries(doc ?? {})) {
        if (provider === '_id') continue;
        const { decided = 0, delivered = 0 } = c as { decided?: number; delivered?: number };
        const sum = counts.get(provider) ?? { decided: 0, delivered: 0 };
        counts.set(provider, { decided: sum.decided + decided, delivered: sum.delivered + delivered });
      }
    }
    return counts;
  }

  /**
   * Retention: outcome counters of the minutes [fromMinute, toMinute). A minute's per-second documents exist only
   * when its minute document does (both are written by the same change), so an idle minute costs one point read.
   */
  async dropOutcomes(fromMinute: number, toMinute: number): Promise<number> {
    let dropped = 0;
    for (let m = fromMinute; m < toMinute; m += 60) {
      const minutes = Array.from({ length: Math.min(60, toMinute - m) }, (_, i) => m + i);
      const present = (await Promise.all(minutes.map((x) => this.col.findOne({ _id: outcomeId.minute(x) }, { projection: { _id: 1 } })))).filter(
        (d) => d !== null,
      );
      for (const doc of present) {
        const minute = Number(doc._id.slice(doc._id.lastIndexOf('|') + 1));
        const ids = [...Array.from({ length: 60 }, (_, s) => outcomeId.second(minute * 60 + s)), doc._id];
        const results = await Promise.all(ids.map((_id) => this.col.deleteOne({ _id })));
        dropped += results.reduce((n, r) => n + r.deletedCount, 0);
      }
    }
    return dropped;
  }
}

export { outcomeId };
