import { MongoBulkWriteError, type Collection, type Document } from 'mongodb';

/** Why a parked row was given up: too many waiting, refused by the store, or the process stopped first. */
export type DropReason = 'overflow' | 'refused' | 'shutdown';

export interface ParkedInsertLimits<T> {
  maxRows: number;
  /** What the waiting rows may take in memory, as estimated by `sizeOf`. */
  maxBytes: number;
  sizeOf: (row: T) => number;
  /** A row the store refuses (a write error other than a duplicate key) this many times is given up. */
  maxRefusals: number;
  /** An insert that has not answered by then counts as failed, so a hung connection holds up no later retry. */
  insertTimeoutMs: number;
  retryEveryMs: number;
  rowsPerInsert: number;
  onDrop: (reason: DropReason, rows: number) => void;
}

interface Parked<T> {
  row: T;
  bytes: number;
  refusals: number;
}

const DUPLICATE_KEY = 11000;

/**
 * Rows written once the store answers again, retried every few seconds, oldest first. The driver gives each row its
 * `_id` before the first try, so a row a failed or timed-out try did store is refused as a duplicate on the next one
 * and counts as stored: no row is stored twice. Bounded by rows and by bytes; past either the oldest rows are dropped.
 */
export class ParkedInserts<T extends Document> {
  private waiting: Parked<T>[] = [];

  private bytes = 0;

  private retry?: NodeJS.Timeout;

  private writing?: Promise<void>;

  /** Rows of the insert in flight: out of `waiting` until it answers. */
  private inFlight = 0;

  /** Set at shutdown: an insert that answers later puts nothing back. */
  private closed = false;

  constructor(
    private readonly col: Collection<T>,
    private readonly limits: ParkedInsertLimits<T>,
  ) {}

  get size(): number {
    return this.waiting.length;
  }

  /** Rows not known to be stored or given up yet: those waiting and those of the insert in flight. */
  get pending(): number {
    return this.waiting.length + this.inFlight;
  }

  park(row: T): void {
    if (this.closed) {
      this.limits.onDrop('shutdown', 1);
      return;
    }
    const bytes = this.limits.sizeOf(row);
    this.waiting.push({ row, bytes, refusals: 0 });
    this.bytes += bytes;
    this.dropOldestOverLimits();
    this.retry ??= setInterval(() => void this.writeSome().catch(() => undefined), this.limits.retryEveryMs).unref();
  }

  private dropOldestOverLimits(): void {
    let dropped = 0;
    // The rows of an insert in flight count too (they are in `bytes`): a hung insert does not raise the caps.
    while (
      this.waiting.length > 0 &&
      (this.waiting.length + this.inFlight > this.limits.maxRows || (this.bytes > this.limits.maxBytes && this.waiting.length > 1))
    ) {
      this.bytes -= this.waiting.shift()!.bytes;
      dropped += 1;
    }
    if (dropped > 0) this.limits.onDrop('overflow', dropped);
  }

  /**
   * At shutdown: keeps writing until nothing waits or `deadlineMs` has passed, however long an insert hangs, then
   * gives up what is left (counted, and returned) and stops retrying.
   */
  async writeAllBefore(deadlineMs: number): Promise<number> {
    while (this.waiting.length > 0 || this.writing) {
      const before = this.waiting.length;
      const deadline = sleep(deadlineMs - Date.now());
      const wrote = await Promise.race([this.writeSome().then(() => true), deadline.then(() => false)]);
      deadline.cancel();
      if (!wrote || Date.now() >= deadlineMs) break;
      if (this.waiting.length >= before) await sleep(Math.min(200, deadlineMs - Date.now())); // the store is still down
    }
    this.closed = true;
    this.stopRetrying();
    const left = this.waiting.length + this.inFlight;
    this.waiting = [];
    this.bytes = 0;
    if (left > 0) this.limits.onDrop('shutdown', left);
    return left;
  }

  /** One insert of the oldest rows; concurrent callers share the one in flight. */
  private writeSome(): Promise<void> {
    this.writing ??= this.insertOldest().finally(() => {
      this.writing = undefined;
    });
    return this.writing;
  }

  private async insertOldest(): Promise<void> {
    const batch = this.waiting.splice(0, this.limits.rowsPerInsert);
    if (batch.length === 0) return;
    let failure: unknown;
    this.inFlight = batch.length;
    try {
      await this.withTimeout(this.col.insertMany(batch.map((p) => p.row) as never, { ordered: false }));
    } catch (err) {
      failure = err ?? new Error('insert failed');
    } finally {
      this.inFlight = 0;
    }
    if (this.closed) return; // given up at shutdown, counted there
    const putBack = failure === undefined ? [] : this.stillWaiting(batch, failure);
    // Rows stored or given up leave the count; rows put back were never taken out of it.
    const bytesOf = (rows: Parked<T>[]) => rows.reduce((sum, p) => sum + p.bytes, 0);
    this.bytes -= bytesOf(batch) - bytesOf(putBack);
    this.waiting.unshift(...putBack);
    this.dropOldestOverLimits(); // rows parked while this insert was in flight
    if (this.waiting.length === 0) this.stopRetrying();
  }

  /**
   * The rows of a failed insert that are to be tried again. The driver reports every failure of `insertMany` as a
   * MongoBulkWriteError, a store that cannot be reached too: only one that names write errors says what happened to
   * each row. Then, with `ordered: false`, every row without a write error was stored, and a duplicate key means an
   * earlier try stored it; a row refused for another reason is tried again until refused `maxRefusals` times. Any
   * other failure (no answer, no write errors) says nothing about the rows, so all of them wait for the next try.
   */
  private stillWaiting(batch: Parked<T>[], failure: unknown): Parked<T>[] {
    const writeErrors = failure instanceof MongoBulkWriteError ? [failure.writeErrors].flat() : [];
    if (writeErrors.length === 0 || writeErrors.some((e) => batch[e.index] === undefined)) return batch;
    const refused = writeErrors.filter((e) => e.code !== DUPLICATE_KEY).map((e) => batch[e.index]);
    const again = refused.filter((p) => ++p.refusals < this.limits.maxRefusals);
    if (again.length < refused.length) this.limits.onDrop('refused', refused.length - again.length);
    return again;
  }

  private withTimeout<R>(insert: Promise<R>): Promise<R> {
    insert.catch(() => undefined); // settles after the timeout, if ever: its outcome no longer matters
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // unref: a hung insert's timer must not keep a stopping process alive
      timer = setTimeout(() => reject(new Error('parked insert timed out')), this.limits.insertTimeoutMs).unref();
    });
    return Promise.race([insert, timeout]).finally(() => clearTimeout(timer));
  }

  private stopRetrying(): void {
    clearInterval(this.retry);
    this.retry = undefined;
  }
}

function sleep(ms: number): Promise<void> & { cancel(): void } {
  let timer: NodeJS.Timeout | undefined;
  const slept = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, Math.max(0, ms));
  });
  return Object.assign(slept, { cancel: () => clearTimeout(timer) });
}
