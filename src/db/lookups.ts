import type { Collection, Db } from 'mongodb';
import { CoalescingWriter, type DocChange } from './coalescingWriter';
import {
  CHUNK_ENTRIES,
  chunkId,
  dayOf,
  dayStartMs,
  decodeEntry,
  directoryId,
  encodeEntry,
  isAfter,
  listIdOf,
  monthOf,
  monthStartMs,
  newestFirst,
  slotStartMs,
  SLOT_MS,
  type Entry,
  type Family,
} from '../domain/lookupKeys';

/** Chunk documents hold entries (chunk 0 also the chunk count `n`); directory documents the non-empty slots. */
export interface LookupDoc {
  _id: string;
  e?: string[];
  n?: number;
  s?: string[];
}

const DAY_MS = 24 * 3600_000;

/**
 * Processes that write lookup lists; each writes only documents tagged with its own name, so no document has two
 * writing processes (FerretDB updates are not atomic), and readers read every tag.
 */
export const LOOKUP_WRITERS = ['api', 'worker'] as const;
export type LookupWriterTag = (typeof LOOKUP_WRITERS)[number];

/** sms_lookups documents of one writing process, written through a per-document queue. */
export class LookupWriter {
  private readonly writer: CoalescingWriter<LookupDoc>;

  /** Where each list's next entry goes; loaded from the store the first time a list is touched. */
  private readonly heads = new Map<string, Promise<{ k: number; size: number }>>();

  /** Directory entries already written by this process (a slot is named once, not once per entry). */
  private readonly named = new Set<string>();

  constructor(
    private readonly col: Collection<LookupDoc>,
    private readonly tag: LookupWriterTag,
    lingerMs = 0,
  ) {
    this.writer = new CoalescingWriter(col, 8, lingerMs);
  }

  /** Adds an entry to the family's list; settles once stored. `urgent`: see CoalescingWriter. */
  async append(f: Family, entry: Entry, urgent = false): Promise<void> {
    const listId = `${this.tag}/${listIdOf(f, entry.ms)}`;
    const head = await this.headOf(listId);
    // Allocation happens synchronously after the await, so concurrent appends never overfill a chunk.
    if (head.size >= CHUNK_ENTRIES) {
      head.k += 1;
      head.size = 0;
    }
    head.size += 1;
    const writes: Promise<void>[] = [];
    const change: DocChange = { push: { e: [encodeEntry(entry, f.tag)] } };
    if (head.k === 0) change.max = { n: 1 };
    else if (head.size === 1) writes.push(this.writer.apply(chunkId(listId, 0), { max: { n: head.k + 1 } }, urgent));
    writes.push(this.writer.apply(chunkId(listId, head.k), change, urgent));
    if (f.timed) {
      const dirId = `${this.tag}/${directoryId(f, dayOf(entry.ms))}`;
      const slot = listId.slice(listId.lastIndexOf('@') + 1);
      const named = `${dirId}|${slot}`;
      if (!this.named.has(named)) {
        if (this.named.size > 200_000) this.named.clear();
        this.named.add(named);
        // Readers find an hour's entries only through the directory: a failed write must be tried again next time.
        const written = this.writer.apply(dirId, { addToSet: { s: [slot] } }, urgent);
        written.catch(() => this.named.delete(named));
        writes.push(written);
      }
    }
    await Promise.all(writes);
  }

  private headOf(listId: string): Promise<{ k: number; size: number }> {
    let head = this.heads.get(listId);
    if (!head) {
      head = this.loadHead(listId);
      head.catch(() => this.heads.delete(listId));
      if (this.heads.size > 100_000) this.heads.clear();
      this.heads.set(listId, head);
    }
    return head;
  }

  private async loadHead(listId: string): Promise<{ k: number; size: number }> {
    const first = await this.col.findOne({ _id: chunkId(listId, 0) });
    const n = first ? Math.max(first.n ?? 1, 1) : 0;
    if (n === 0) return { k: 0, size: 0 };
    const last = n === 1 ? first : await this.col.findOne({ _id: chunkId(listId, n - 1) });
    return { k: n - 1, size: last?.e?.length ?? 0 };
  }
}

/** Bounds of a walk: creation time in [fromMs, toMs), strictly after the cursor when one is given. */
export interface WalkRange {
  fromMs: number;
  toMs: number;
  after?: Entry;
}

/** Reads lookup lists newest first. Each step is a handful of point reads by `_id`. */
export class LookupReader {
  constructor(private readonly col: Collection<LookupDoc>) {}

  static collection(db: Db): Collection<LookupDoc> {
    return db.collection<LookupDoc>('sms_lookups');
  }

  /**
   * Entries of a family in newest-first order within the range; lazily, a slot at a time. With `alsoIn` (other timed
   * families), only entries listed in each of them too: the same slot of each is read and intersected by id, so a
   * combination of filters costs list reads rather than fetching messages that match one filter but not the other.
   */
  async *entries(f: Family, range: WalkRange, alsoIn: Family[] = []): AsyncGenerator<Entry & { boundary?: true }> {
    const upper = Math.min(range.toMs, range.after ? range.after.ms + 1 : Infinity);
    const keep = (e: Entry & { tag?: string }) => e.tag === f.tag && e.ms >= range.fromMs && e.ms < range.toMs && (!range.after || isAfter(e, range.after));
    if (!f.timed) {
      // One list per month, newest month first; months are few (retention bounds them), so read them all at once.
      const months: number[] = [];
      for (let t = upper - 1; t >= range.fromMs || months.length === 0; t = monthStartMs(monthOf(t)) - 1) months.push(t);
      const lists = await Promise.all(months.filter((t) => t >= monthStartMs(monthOf(range.fromMs))).map((t) => this.readList(listIdOf(f, t))));
      yield* lists.flat().filter(keep).sort(newestFirst);
      return;
    }
    // Directories a day, then 2, 4 and 8 days at a time, in parallel: a first page usually needs today's alone, and a
    // sparse family costs one point read per day.
    const days: string[] = [];
    for (let t = Math.floor((upper - 1) / DAY_MS) * DAY_MS; t >= Math.floor(range.fromMs / DAY_MS) * DAY_MS; t -= DAY_MS) days.push(dayOf(t));
    for (let i = 0, n = 1; i < days.length; i += n, n = Math.min(n * 2, 8)) {
      const dirs = await Promise.all(days.slice(i, i + n).map((d) => this.readDirectory(directoryId(f, d))));
      for (const [j, named] of dirs.entries()) {
        const slots = named
          .filter((s) => slotStartMs(s) < upper && slotStartMs(s) + SLOT_MS > range.fromMs && slotStartMs(s) >= dayStartMs(days[i + j]))
          .sort()
          .reverse();
        for (const slot of slots) {
          const [own, ...others] = await Promise.all([f, ...alsoIn].map((g) => this.readList(`${g.name}@${slot}`)));
          const inAll = others.map((list) => new Set(list.map((e) => e.id)));
          yield* own.filter((e) => keep(e) && inAll.every((ids) => ids.has(e.id))).sort(newestFirst);
          // Everything from this slot's start on has been seen: a reader that stops here can resume from it.
          yield { ms: slotStartMs(slot), id: '', boundary: true };
        }
      }
    }
  }

  /** The slots a directory names, across writers. */
  private async readDirectory(dirId: string): Promise<string[]> {
    const docs = await Promise.all(LOOKUP_WRITERS.map((tag) => this.col.findOne({ _id: `${tag}/${dirId}` })));
    return [...new Set(docs.flatMap((d) => d?.s ?? []))];
  }

  /** All entries of one list across writers: chunk 0 names how many chunks there are; the rest are read in parallel. */
  private async readList(listId: string): Promise<(Entry & { tag?: string })[]> {
    const chunks = await Promise.all(LOOKUP_WRITERS.map((tag) => this.readChunks(`${tag}/${listId}`)));
    const seen = new Set<string>();
    const entries: (Entry & { tag?: string })[] = [];
    for (const doc of chunks.flat()) {
      for (const raw of doc?.e ?? []) {
        if (seen.has(raw)) continue; // a retried step may have added it twice
        seen.add(raw);
        entries.push(decodeEntry(raw));
      }
    }
    return entries;
  }

  private async readChunks(listId: string): Promise<(LookupDoc | null)[]> {
    const first = await this.col.findOne({ _id: chunkId(listId, 0) });
    if (!first) return [];
    const rest = await Promise.all(Array.from({ length: Math.max((first.n ?? 1) - 1, 0) }, (_, k) => this.col.findOne({ _id: chunkId(listId, k + 1) })));
    return [first, ...rest];
  }
}
