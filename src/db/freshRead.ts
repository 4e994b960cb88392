/**
 * A read that many concurrent callers share without ever getting an answer older than their call: a caller joins
 * the next read to start, never one already under way (which may have missed a write made just before the call).
 * Under a batch, hundreds of activities asking "what is the state now?" cost one read per round trip instead of one
 * each, with the same freshness as reading alone.
 */
export class FreshRead<T> {
  private running?: Promise<T>;

  private next?: Promise<T>;

  /** The last answer and when its read started. */
  private last?: { startedAt: number; value: T };

  constructor(private readonly read: () => Promise<T>) {}

  /**
   * A value read after the call, or, with `notBefore` (epoch ms), the last answer if its read started at or after
   * then: one unit of work (an activity) asks several times and needs answers only as fresh as its own start.
   */
  get(notBefore?: number): Promise<T> {
    if (notBefore !== undefined && this.last && this.last.startedAt >= notBefore) return Promise.resolve(this.last.value);
    if (!this.running) return this.start();
    // One read at a time: callers arriving meanwhile share the read that starts when this one ends.
    this.next ??= this.running.then(
      () => this.startNext(),
      () => this.startNext(),
    );
    return this.next;
  }

  private startNext(): Promise<T> {
    this.next = undefined;
    return this.start();
  }

  private start(): Promise<T> {
    const startedAt = Date.now();
    const running = this.read();
    running.then(
      (value) => {
        if (!this.last || this.last.startedAt <= startedAt) this.last = { startedAt, value };
      },
      () => undefined,
    );
    this.running = running;
    const clear = () => {
      if (this.running === running) this.running = undefined;
    };
    running.then(clear, clear);
    return running;
  }
}
