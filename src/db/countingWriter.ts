import type { Collection, Document } from 'mongodb';
import { inLane, isBulkLane } from './lanes';
import { upsertRacing } from './upsert';

interface Waiter {
  inc: Record<string, number>;
  /** The caller's database lane (db/lanes.ts): a round with any main-lane caller is written in the main lane. */
  bulk: boolean;
  resolve: (doc: Document) => void;
  reject: (err: unknown) => void;
}

/**
 * Counters whose callers need the value their own increment produced (rate limits: "am I the 101st?"). One update
 * at a time per document in this process, with the increments that queued up meanwhile summed into it; each caller
 * gets the document as it was right after its own share, so concurrent callers see distinct counts.
 *
 * Why: FerretDB v1 applies `$inc` as read, change, rewrite with no atomicity, so concurrent increments of one
 * document from one process lose updates (8 × 100 kept 189 of 800). On MongoDB the same update is atomic, so
 * several processes may share the counters; on the embedded store one process (the API) owns them.
 */
export class CountingWriter<T extends Document & { _id: string }> {
  private readonly queued = new Map<string, { waiters: Waiter[]; setOnInsert: Document }>();

  private readonly writing = new Set<string>();

  constructor(private readonly col: Collection<T>) {}

  /** Adds `inc` to document `id` (created with `setOnInsert` if missing); resolves to the document after this share. */
  add(id: string, inc: Record<string, number>, setOnInsert: Document = {}): Promise<T> {
    return new Promise((resolve, reject) => {
      const entry = this.queued.get(id) ?? { waiters: [], setOnInsert };
      entry.waiters.push({ inc, bulk: isBulkLane(), resolve: resolve as (doc: Document) => void, reject });
      this.queued.set(id, entry);
      if (!this.writing.has(id)) void this.drain(id);
    });
  }

  private async drain(id: string): Promise<void> {
    this.writing.add(id);
    try {
      for (let entry = this.queued.get(id); entry; entry = this.queued.get(id)) {
        this.queued.delete(id);
        const total: Record<string, number> = {};
        for (const w of entry.waiters) for (const [k, v] of Object.entries(w.inc)) total[k] = (total[k] ?? 0) + v;
        try {
          const after = (await inLane(
            entry.waiters.every((w) => w.bulk),
            () =>
              upsertRacing(() =>
                this.col.findOneAndUpdate(
                  { _id: id } as never,
                  { $inc: total, ...(Object.keys(entry!.setOnInsert).length ? { $setOnInsert: entry!.setOnInsert } : {}) } as never,
                  { upsert: true, returnDocument: 'after' },
                ),
              ),
          )) as Document | null;
          // Hand out values newest share last: the last waiter sees `after`, each earlier one less what came after it.
          const running: Document = { ...(after ?? { _id: id }) };
          for (const w of [...entry.waiters].reverse()) {
            w.resolve({ ...running });
            for (const [k, v] of Object.entries(w.inc)) running[k] = ((running[k] as number) ?? 0) - v;
          }
        } catch (err) {
          for (const w of entry.waiters) w.reject(err);
        }
      }
    } finally {
      this.writing.delete(id);
    }
  }
}
