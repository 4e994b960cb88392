/**
 * Stores the newest value per key, at most once per `intervalMs` per key, one write at a time per key. For figures
 * where only the latest matters (a provider's balance, reported by every send): a burst of N messages costs one
 * write per interval instead of N, and no caller waits for it. A failed write is dropped; the next value retries.
 */
export class LatestValueWriter<T> {
  private readonly pending = new Map<string, T>();

  private readonly lastWriteAt = new Map<string, number>();

  private readonly busy = new Map<string, Promise<void>>();

  constructor(
    private readonly write: (value: T) => Promise<void>,
    private readonly intervalMs: number,
  ) {}

  set(key: string, value: T): void {
    this.pending.set(key, value);
    if (!this.busy.has(key)) this.busy.set(key, this.drain(key));
  }

  /** Settles once every value set so far is written (or failed). */
  async flush(): Promise<void> {
    while (this.busy.size) await Promise.all(this.busy.values());
  }

  private async drain(key: string): Promise<void> {
    try {
      while (this.pending.has(key)) {
        const wait = (this.lastWriteAt.get(key) ?? 0) + this.intervalMs - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait).unref());
        const value = this.pending.get(key) as T;
        this.pending.delete(key);
        this.lastWriteAt.set(key, Date.now());
        await this.write(value).catch(() => undefined);
      }
    } finally {
      this.busy.delete(key);
    }
  }
}
