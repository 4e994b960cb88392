import { MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError, type MongoClient } from 'mongodb';

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
    });
  }

  get down(): boolean {
    return !this.usable || (this.pingSentAt !== undefined && this.now() - this.pingSentAt > this.overdueMs);
  }

  /** Pings the store every `intervalMs` for as long as the process runs. */
  watch(ping: () => Promise<unknown>, intervalMs: number): this {
    setInterval(() => this.probeOnce(ping), intervalMs).unref();
    return this;
  }

  /** Sends a ping unless one is still out; its answer clears it, as does its failure (the topology events report that). */
  probeOnce(ping: () => Promise<unknown>): void {
    if (this.pingSentAt !== undefined) return;
    this.pingSentAt = this.now();
    const answered = () => {
      this.pingSentAt = undefined;
    };
    void ping().then(answered, answered);
  }
}

/** Errors that mean "the store is unreachable", as opposed to a bad query or a duplicate key. */
export function isStoreUnreachable(err: unknown): boolean {
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  );
}
