import { MongoBulkWriteError, MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError, type MongoClient } from 'mongodb';

/**
 * Whether the store can be used right now. Two signals: the driver's topology events (a store that is gone is known
 * from the first failed operation or heartbeat), and a ping of our own (`watch`). A store that hangs (a stopped
 * process, a stuck disk) accepts connections and never answers: the driver, with no socket timeout, would notice
 * only after its 30 s connect timeout, and every request would wait on it. A ping unanswered for `overdueMs` marks it
 * down at once. Either way requests are then answered 503 at once, until the store answers again.
 */
export class StoreHealth {
  private usable = true;

  /** When the unanswered ping was sent; undefined while none is outstanding. */
  private pingSentAt?: number;

  constructor(
    client: Pick<MongoClient, 'on'>,
    private readonly overdueMs = Number.POSITIVE_INFINITY,
    private readonly now: () => number = Date.now,
  ) {
    client.on('topologyDescriptionChanged', (event) => {
      this.usable = event.newDescription.hasDataBearingServers;
      this.wakeWaitersIfDown();
    });
  }

  get down(): boolean {
    return !this.usable || (this.pingSentAt !== undefined && this.now() - this.pingSentAt > this.overdueMs);
  }

  private readonly waiters = new Set<() => void>();

  /**
   * Resolves 'down' once the store is found down (by a topology event or the ping's check) unless cancelled first:
   * what a request waiting on the store races against.
   */
  untilDown(): { promise: Promise<'down'>; cancel: () => void } {
    let wake!: () => void;
    const promise = new Promise<'down'>((resolve) => {
      wake = () => resolve('down');
    });
    this.waiters.add(wake);
    return { promise, cancel: () => this.waiters.delete(wake) };
  }

  private wakeWaitersIfDown(): void {
    if (!this.down) return;
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }

  /** Pings the store every `intervalMs` for as long as the process runs. */
  watch(ping: () => Promise<unknown>, intervalMs: number): this {
    setInterval(() => this.probeOnce(ping), intervalMs).unref();
    return this;
  }

  /** Sends a ping unless one is still out; its answer clears it, as does its failure (the topology events report that). */
  probeOnce(ping: () => Promise<unknown>): void {
    this.wakeWaitersIfDown();
    if (this.pingSentAt !== undefined) return;
    this.pingSentAt = this.now();
    const answered = () => {
      this.pingSentAt = undefined;
    };
    void ping().then(answered, answered);
  }
}

/**
 * Errors that mean "the store is unreachable", as opposed to a bad query or a duplicate key. An `insertMany` that
 * loses its connection fails as a bulk write error wrapping the network error (errorResponse), naming no write.
 */
export function isStoreUnreachable(err: unknown): boolean {
  if (err instanceof MongoBulkWriteError && [err.writeErrors].flat().length === 0) return isStoreUnreachable(err.errorResponse);
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  );
}
