import type { Client } from '@temporalio/client';

export type Bounded<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * Temporal calls on a request path, bounded in time. An unreachable server otherwise holds a call for 20 s and
 * more (gRPC reconnects and retries), which a caller with a 10 s timeout sees as a hang. When a call fails or
 * times out, callers leave the work in the outbox for the relay and answer at once; for `pauseMs` afterwards
 * they do not even try, so a burst during an outage costs nobody the wait.
 */
export class BoundedTemporal {
  private pausedUntil = 0;

  constructor(
    readonly client: Client,
    private readonly waitMs = 1_500,
    private readonly pauseMs = 5_000,
  ) {}

  /** `call` turns expected answers (already started, not found) into values; anything it throws means "not now". */
  async call<T>(call: (client: Client) => Promise<T>): Promise<Bounded<T>> {
    if (Date.now() < this.pausedUntil) return { ok: false, reason: 'Temporal was unreachable moments ago' };
    const deadline = Date.now() + this.waitMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer from Temporal within ${this.waitMs} ms`)), this.waitMs);
    });
    try {
      // The gRPC deadline ends the call itself; the timer bounds whatever the client does around it.
      const value = await Promise.race([this.client.connection.withDeadline(deadline, () => call(this.client)), timeout]);
      this.pausedUntil = 0;
      return { ok: true, value };
    } catch (err) {
      this.pausedUntil = Date.now() + this.pauseMs;
      return { ok: false, reason: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
    }
  }
}
