import type { Collection, Document, UpdateFilter } from 'mongodb';
import { inLane } from './lanes';
import { upsertRacing } from './upsert';

/** One document's share of pending changes: counters to add, values to append, maxima, set members. */
export interface DocChange {
  inc?: Record<string, number>;
  push?: Record<string, unknown[]>;
  max?: Record<string, number>;
  addToSet?: Record<string, unknown[]>;
}

interface Pending {
  change: Required<DocChange>;
  waiters: { resolve: () => void; reject: (err: unknown) => void }[];
  /** A waiter is customer-facing (an order confirmation): no lingering, and the next free write slot. */
  urgent: boolean;
}

/**
 * Writes shared documents (rollups, lookup lists) one update at a time per document, merging whatever queued up
 * meanwhile into that one update.
 *
 * Why: FerretDB v1 applies an update as read, change, rewrite, with no atomicity, so two concurrent `$inc`s on one
 * document lose one of them (measured: 8 clients × 100 `$inc` kept 189 of 800). Serialising per document in the
 * single process that owns these documents makes the embedded store exact; on MongoDB the same operators are atomic,
 * so several processes may share a document safely. Merging also turns a burst of N messages into one write per
 * document instead of N, which is what keeps the bookkeeping cheap at batch speed.
 */
export class CoalescingWriter<T extends Document & { _id: string }> {
  private readonly pending = new Map<string, Pending>();

  private readonly writing = new Set<string>();

  /** Documents being written right now, across this writer; the rest wait their turn (merging meanwhile). */
  private active = 0;

  private readonly turns: { urgent: boolean; go: () => void }[] = [];

  /** Documents waiting out their linger, with the call that ends it early. */
  private readonly lingering = new Map<string, () => void>();

  constructor(
    private readonly col: Collection<T>,
    /** SQLite takes one writer at a time: hundreds of parallel updates only queue up as `database is locked`. */
    private readonly maxParallel = 8,
    /**
     * How long a document's first change waits for others to join it. Under a batch the same few documents (the
     * day's and the batch's counters, the current hour's lists) change many times a second: a short wait turns
     * those into one write, at the price of that wait for a batch message's step. Urgent changes do not wait.
     */
    private readonly lingerMs = 0,
  ) {}

  /** Queues a change; settles once it is stored (merged with others into one update of that document). */
  apply(id: string, change: DocChange, urgent = false): Promise<void> {
    return new Promise((resolve, reject) => {
      const entry = this.pending.get(id) ?? { change: { inc: {}, push: {}, max: {}, addToSet: {} }, waiters: [], urgent: false };
      merge(entry.change, change);
      entry.waiters.push({ resolve, reject });
      entry.urgent ||= urgent;
      this.pending.set(id, entry);
      if (urgent) this.lingering.get(id)?.();
      if (!this.writing.has(id)) void this.drain(id);
    });
  }

  private async drain(id: string): Promise<void> {
    this.writing.add(id);
    try {
      // Until nothing is pending: a document whose last change is written must not linger (or take a write slot)
      // once more for nothing.
      while (this.pending.has(id)) {
        await this.linger(id);
        // Take the turn first: whatever queues up for this document while it waits joins the same update.
        await this.turn(this.pending.get(id)?.urgent ?? false);
        const entry = this.pending.get(id);
        this.pending.delete(id);
        try {
          if (!entry) return;
          const update = toUpdate(entry.change);
          // Urgent changes are written in the main lane (db/lanes.ts), whoever started this loop.
          const write = () => this.col.updateOne({ _id: id } as never, update as UpdateFilter<T>, { upsert: true });
          if (update) await inLane(!entry.urgent, () => retryBusy(() => upsertRacing(write)));
          for (const w of entry.waiters) w.resolve();
        } catch (err) {
          for (const w of entry!.waiters) w.reject(err);
        } finally {
          this.release();
        }
      }
    } finally {
      this.writing.delete(id);
    }
  }

  private async linger(id: string): Promise<void> {
    if (this.lingerMs === 0 || this.pending.get(id)?.urgent) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(end, this.lingerMs);
      function end() {
        clearTimeout(timer);
        resolve();
      }
      this.lingering.set(id, end);
    });
    this.lingering.delete(id);
  }

  private async turn(urgent: boolean): Promise<void> {
    if (this.active < this.maxParallel) {
      this.active += 1;
      return;
    }
    // Handed over with the slot still counted; urgent documents go ahead of the others, in their own order.
    await new Promise<void>((go) => {
      const behindUrgent = urgent ? this.turns.findIndex((t) => !t.urgent) : -1;
      this.turns.splice(behindUrgent === -1 ? this.turns.length : behindUrgent, 0, { urgent, go });
    });
  }

  private release(): void {
    const next = this.turns.shift();
    if (next) next.go();
    else this.active -= 1;
  }
}

/** FerretDB on SQLite answers `database is locked` when writers collide; that clears in milliseconds. */
async function retryBusy<R>(write: () => Promise<R>): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if (attempt >= 8 || !/database is locked|SQLITE_BUSY/.test(String((err as Error).message))) throw err;
      await new Promise((r) => setTimeout(r, attempt * 20));
    }
  }
}

function merge(into: Required<DocChange>, change: DocChange): void {
  for (const [k, v] of Object.entries(change.inc ?? {})) into.inc[k] = (into.inc[k] ?? 0) + v;
  for (const [k, v] of Object.entries(change.push ?? {})) (into.push[k] ??= []).push(...v);
  for (const [k, v] of Object.entries(change.max ?? {})) into.max[k] = Math.max(into.max[k] ?? -Infinity, v);
  for (const [k, v] of Object.entries(change.addToSet ?? {})) (into.addToSet[k] ??= []).push(...v);
}

/** The merged update, or null when the changes cancel out (counters that went up and down again). */
function toUpdate(c: Required<DocChange>): Document | null {
  const update: Document = {};
  const inc = Object.fromEntries(Object.entries(c.inc).filter(([, v]) => v !== 0));
  if (Object.keys(inc).length) update.$inc = inc;
  if (Object.keys(c.push).length) update.$push = Object.fromEntries(Object.entries(c.push).map(([k, v]) => [k, { $each: v }]));
  if (Object.keys(c.max).length) update.$max = c.max;
  if (Object.keys(c.addToSet).length) update.$addToSet = Object.fromEntries(Object.entries(c.addToSet).map(([k, v]) => [k, { $each: [...new Set(v)] }]));
  return Object.keys(update).length ? update : null;
}
