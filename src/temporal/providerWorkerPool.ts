import type { DataConverter } from '@temporalio/common';
import { Worker, type NativeConnection } from '@temporalio/worker';
import { SEND_HEARTBEAT_MS } from '../activities/provider';
import type { ProviderRow } from '../db/providers';
import { PROVIDER_NAMES, providerTaskQueue, type ProviderName } from '../domain/sms';
import type { Logger } from '../log';
import { metrics } from '../metrics';

/** Rate limit of a provider that has no row yet (it cannot be routed to until configured anyway). */
const DEFAULT_RATE_LIMIT = 10;

/** One running worker per provider task queue, replaced when the provider's rate limit changes. */
export class ProviderWorkerPool {
  private readonly running = new Map<ProviderName, { worker: Worker; rateLimit: number; done: Promise<void> }>();
  private reconciling: Promise<void> = Promise.resolve();

  constructor(
    private readonly connection: NativeConnection,
    private readonly namespace: string,
    private readonly dataConverter: DataConverter,
    private readonly activities: object,
    private readonly log: Logger,
    /**
     * Provider calls one worker runs at once. Batch sends wait for the database in their lane (db/lanes.ts) while
     * holding a slot, so with only as many slots as a batch window a campaign filled them all and an order notice,
     * first in the task queue by priority, still waited seconds for a slot in this process.
     */
    private readonly activitySlots = 400,
  ) {}

  reconcile(rows: ProviderRow[]): Promise<void> {
    this.reconciling = this.reconciling.catch(() => undefined).then(() => this.apply(rows));
    return this.reconciling;
  }

  private async apply(rows: ProviderRow[]): Promise<void> {
    const limits = new Map(rows.map((row) => [row._id, row.rate_limit]));
    for (const name of PROVIDER_NAMES) {
      const rateLimit = limits.get(name) ?? DEFAULT_RATE_LIMIT;
      const current = this.running.get(name);
      if (current?.rateLimit === rateLimit) continue;
      if (current) {
        // One worker per task queue per process (the SDK refuses two), so the old one drains first; tasks
        // scheduled meanwhile wait durably in the queue for the new one.
        this.log.info('provider rate limit changed', { provider: name, from: current.rateLimit, to: rateLimit });
        current.worker.shutdown();
        await current.done;
        this.running.delete(name);
      }
      const worker = await Worker.create({
        connection: this.connection,
        namespace: this.namespace,
        dataConverter: this.dataConverter,
        taskQueue: providerTaskQueue(name),
        activities: this.activities,
        maxTaskQueueActivitiesPerSecond: rateLimit,
        maxConcurrentActivityTaskExecutions: this.activitySlots,
        maxHeartbeatThrottleInterval: SEND_HEARTBEAT_MS,
      });
      const done = worker.run().catch((err) => this.log.error('provider worker stopped', { provider: name, error: String(err) }));
      this.running.set(name, { worker, rateLimit, done });
      metrics().providerRateLimit.set({ provider: name }, rateLimit);
    }
  }

  async shutdown(): Promise<void> {
    await this.reconciling.catch(() => undefined);
    for (const { worker } of this.running.values()) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all([...this.running.values()].map((r) => r.done.catch(() => undefined)));
  }
}
