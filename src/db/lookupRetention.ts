import type { Collection } from 'mongodb';
import { LOOKUP_WRITERS, type LookupDoc } from './lookups';
import { chunkId, decodeEntry, directoryId, type Entry, type Family } from '../domain/lookupKeys';

/** Where a walk through one day's `a` lists stands: the slot, the writer (index into LOOKUP_WRITERS) and the chunk. */
export interface DayCursor {
  slot: string;
  tag: number;
  k: number;
}

/** Point reads and deletes run this many at a time: enough to hide round trips, few enough not to swamp FerretDB. */
const PARALLEL = 16;

/**
 * Retention's side of sms_lookups: walks a day's list of all messages, and drops whole lists (a day of a timed family,
 * a month of a keyed one). Everything is addressed by `_id`, as everywhere else in this collection, so a purge costs
 * what it removes, not what the collection holds.
 */
export class LookupRetention {
  constructor(private readonly col: Collection<LookupDoc>) {}

  async ensureIndexes(): Promise<void> {
    // every read and delete is by _id
  }

  /** Whether any writer listed a message created on this UTC day (every message is in the `a` family). */
  async dayHasEntries(allFamily: Family, day: string): Promise<boolean> {
    return (await this.slotsOf(allFamily, day)).length > 0;
  }

  /**
   * Entries of a timed family's day from `cursor` on, whole chunks at a time until at least `atLeast` entries; returns
   * where the next page starts, or no cursor when the day is done.
   */
  async dayPage(f: Family, day: string, atLeast: number, cursor?: DayCursor): Promise<{ entries: Entry[]; next?: DayCursor }> {
    const slots = (await this.slotsOf(f, day)).filter((s) => !cursor || s >= cursor.slot).sort();
    const entries: Entry[] = [];
    for (const slot of slots) {
      for (let tag = slot === cursor?.slot ? cursor.tag : 0; tag < LOOKUP_WRITERS.length; tag++) {
        for (let k = slot === cursor?.slot && tag === cursor.tag ? cursor.k : 0; ; k++) {
          if (entries.length >= atLeast) return { entries, next: { slot, tag, k } };
          // Chunks of a list are contiguous from 0: the first missing one ends this writer's list.
          const doc = await this.col.findOne({ _id: chunkId(`${LOOKUP_WRITERS[tag]}/${f.name}@${slot}`, k) });
          if (!doc) break;
          entries.push(...(doc.e ?? []).map(decodeEntry));
        }
      }
    }
    return { entries };
  }

  /** Drops every list of a timed family's day and then its directories; returns how many documents went. */
  async dropDay(f: Family, day: string): Promise<number> {
    let dropped = 0;
    for (const tag of LOOKUP_WRITERS) {
      const dirId = `${tag}/${directoryId(f, day)}`;
      const dir = await this.col.findOne({ _id: dirId });
      if (!dir) continue;
      for (const group of groups(dir.s ?? [], PARALLEL)) {
        const counts = await Promise.all(group.map((slot) => this.dropList(`${tag}/${f.name}@${slot}`)));
        dropped += counts.reduce((a, b) => a + b, 0);
      }
      // The directory goes last, so an interrupted drop is found and finished by the next run.
      dropped += (await this.col.deleteOne({ _id: dirId })).deletedCount;
    }
    return dropped;
  }

  /** Drops a keyed family's list of one month (`YYYYMM`) for every writer; returns how many documents went. */
  async dropMonth(f: Family, month: string): Promise<number> {
    const counts = await Promise.all(LOOKUP_WRITERS.map((tag) => this.dropList(`${tag}/${f.name}@${month}`)));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** Chunk 0 names how many chunks there are; it is deleted last, so a retried drop still finds the rest. */
  private async dropList(listId: string): Promise<number> {
    const first = await this.col.findOne({ _id: chunkId(listId, 0) }, { projection: { n: 1 } });
    if (!first) return 0;
    const rest = Array.from({ length: Math.max((first.n ?? 1) - 1, 0) }, (_, i) => chunkId(listId, i + 1));
    let dropped = 0;
    for (const group of groups(rest, PARALLEL)) {
      const results = await Promise.all(group.map((_id) => this.col.deleteOne({ _id })));
      dropped += results.reduce((a, r) => a + r.deletedCount, 0);
    }
    return dropped + (await this.col.deleteOne({ _id: chunkId(listId, 0) })).deletedCount;
  }

  private async slotsOf(f: Family, day: string): Promise<string[]> {
    const dirs = await Promise.all(LOOKUP_WRITERS.map((tag) => this.col.findOne({ _id: `${tag}/${directoryId(f, day)}` })));
    return [...new Set(dirs.flatMap((d) => d?.s ?? []))];
  }
}

export function groups<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
