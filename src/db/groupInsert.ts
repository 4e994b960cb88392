import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb';

/**
 * Append-only rows written by group commit: while one `insertMany` is in flight, rows that arrive queue up and go
 * together in the next one. Each caller's promise settles when its own row is stored (or failed), so a caller that
 * answers only after `add` resolves never acknowledges a row that was not written.
 *
 * Why: under a batch's receipts every row was its own round trip; on the embedded store each command waits for the
 * one SQLite writer, so N rows in one command cost far less than N commands. No linger: an idle store writes at once.
 */
export class GroupInsert<T extends Document> {
  private queued: { doc: OptionalUnlessRequiredId<T>; resolve: () => void; reject: (err: unknown) => void }[] = [];

  private writing = false;

  constructor(
    private readonly col: Collection<T>,
    /** Most rows per command (keeps one command's size and latency bounded). */
    private readonly maxRows = 500,
  ) {}

  add(doc: OptionalUnlessRequiredId<T>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queued.push({ doc, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queued.length > 0) {
        const group = this.queued.splice(0, this.maxRows);
        try {
          await this.col.insertMany(
            group.map((g) => g.doc),
            { ordered: false },
          );
          for (const g of group) g.resolve();
        } catch (err) {
          for (const g of group) g.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }
}
