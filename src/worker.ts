import { createServer } from 'node:http';
import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createBookkeepingActivities, createBulkActivities, createProviderActivities } from './activities';
import { createAlertActivities } from './activities/alerts';
import { ensureAlertSchedule } from './temporal/alertSchedule';
import { connectExternal, runMain } from './bootstrap';
import { publicBaseUrl, quietWindows, type Config } from './config';
import type { Repositories } from './db';
import type { ProviderRow } from './db/providers';
import { PROVIDER_NAMES, SMS_TASK_QUEUE, providerTaskQueue, type ProviderName } from './domain/sms';
import type { Logger } from './log';
import { metrics } from './metrics';
import { providerSeedsFromConfig } from './providers/seeds';
import { connectWorker, dataConverterFor, ensureSearchAttributes } from './temporal/connect';
import type { DataConverter } from '@temporalio/common';

/** Rate limit of a provider that has no row yet (it cannot be routed to until configured anyway). */
const DEFAULT_RATE_LIMIT = 10;

export interface WorkerDeps {
  config: Config;
  repos: Repositories;
  connection: NativeConnection;
  webhookBaseUrl: string;
  log: Logger;
}

export interface RunningWorkers {
  shutdown(): Promise<void>;
  /** Settles when every worker has stopped; rejects if one crashed. */
  done: Promise<void>;
}

/**
 * Workflows and bookkeeping on `sms`; one activity-only worker per provider on `sms-provider-<name>`, whose
 * maxTaskQueueActivitiesPerSecond is the provider's rate limit, enforced by the server across all replicas.
 */
export async function startWorkers({ config, repos, connection, webhookBaseUrl, log }: WorkerDeps): Promise<RunningWorkers> {
  const namespace = config.TEMPORAL_NAMESPACE;
  const policy = {
    sendTimeoutMs: config.SMS_PROVIDER_TIMEOUT_MS,
    attemptsPerProvider: config.SMS_ATTEMPTS_PER_PROVIDER,
    receiptTimeoutMs: config.SMS_RECEIPT_TIMEOUT_MS,
    receiptPollMs: config.SMS_RECEIPT_POLL_MS,
    rerouteOnUndelivered: config.SMS_REROUTE_ON_UNDELIVERED,
  };
  const dataConverter = dataConverterFor(config);
  const main = await Worker.create({
    connection,
    namespace,
    dataConverter,
    taskQueue: SMS_TASK_QUEUE,
    workflowsPath: require.resolve('./workflows'),
    activities: {
      ...createBookkeepingActivities({ repos, policy }),
      ...createBulkActivities({ repos, pageSize: config.BULK_PAGE_SIZE, window: config.BULK_WINDOW, defaultQuietHours: quietWindows(config) }),
      ...createAlertActivities({
        repos,
        windowMs: config.ALERT_WINDOW_MS,
        webhookUrl: config.ALERT_WEBHOOK_URL,
        thresholds: {
          minDeliveryRate: config.ALERT_MIN_DELIVERY_RATE,
          minDecided: config.ALERT_MIN_RECEIPTS,
          rateLimitedPerWindow: config.ALERT_RATE_LIMITED,
          webhookRejectedPerWindow: config.ALERT_WEBHOOK_REJECTED,
        },
      }),
    },
  });
  const pool = new ProviderWorkerPool(
    connection,
    namespace,
    dataConverter,
    createProviderActivities({
      repos,
      circuit: { failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: config.CIRCUIT_COOLDOWN_MS },
      webhookBaseUrl,
      webhookToken: config.WEBHOOK_TOKEN,
      timeoutMs: config.SMS_PROVIDER_TIMEOUT_MS,
    }),
    log,
  );
  await pool.reconcile(await repos.providers.list());
  // Rate limits are edited through the admin API; the pool follows them without a restart.
  const refresh = setInterval(() => {
    repos.providers
      .list()
      .then((rows) => pool.reconcile(rows))
      .catch((err) => log.warn('could not refresh provider rate limits', { error: String(err) }));
  }, config.PROVIDER_REFRESH_MS);

  log.info('workers started', { task_queues: [SMS_TASK_QUEUE, ...PROVIDER_NAMES.map(providerTaskQueue)] });
  const done = main.run();
  return {
    done,
    shutdown: async () => {
      clearInterval(refresh);
      if (main.getState() === 'RUNNING') main.shutdown();
      await Promise.all([done.catch(() => undefined), pool.shutdown()]);
    },
  };
}

/** One running worker per provider task queue, replaced when the provider's rate limit changes. */
class ProviderWorkerPool {
  private readonly running = new Map<ProviderName, { worker: Worker; rateLimit: number; done: Promise<void> }>();
  private reconciling: Promise<void> = Promise.resolve();

  constructor(
    private readonly connection: NativeConnection,
    private readonly namespace: string,
    private readonly dataConverter: DataConverter,
    private readonly activities: object,
    private readonly log: Logger,
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
      });
      const done = worker.run().catch((err) => this.log.error('provider worker stopped', { provider: name, error: String(err) }));
      this.running.set(name, { worker, rateLimit, done });
    }
  }

  async shutdown(): Promise<void> {
    await this.reconciling.catch(() => undefined);
    for (const { worker } of this.running.values()) if (worker.getState() === 'RUNNING') worker.shutdown();
    await Promise.all([...this.running.values()].map((r) => r.done.catch(() => undefined)));
  }
}

/** Production entry: the worker alone, against TEMPORAL_ADDRESS and MONGODB_URI. */
async function main(): Promise<void> {
  const { config, log, repos, target, client, close } = await connectExternal('worker');
  await repos.providers.seed(providerSeedsFromConfig(config));
  await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
  await ensureAlertSchedule(client, config.ALERT_INTERVAL_MS);
  const connection = await connectWorker(target);
  // Default Runtime: SIGINT/SIGTERM make every worker drain and stop, which ends `done`.
  Runtime.instance();
  const workers = await startWorkers({ config, repos, connection, webhookBaseUrl: publicBaseUrl(config), log });
  const metricsServer = config.WORKER_METRICS_PORT ? serveMetrics(config.HOST, config.WORKER_METRICS_PORT) : undefined;
  console.log(`LuckyGas SMS worker is running against ${config.TEMPORAL_ADDRESS} (task queues ${[SMS_TASK_QUEUE, ...PROVIDER_NAMES.map(providerTaskQueue)].join(', ')})`);
  await workers.done;
  metricsServer?.close();
  await connection.close();
  await close();
}

/** Prometheus scrape endpoint of a standalone worker (provider calls, latency, message outcomes). */
function serveMetrics(host: string, port: number) {
  return createServer((req, res) => {
    if (req.url !== '/metrics') {
      res.writeHead(404).end();
      return;
    }
    void metrics()
      .registry.metrics()
      .then((body) => res.writeHead(200, { 'content-type': metrics().registry.contentType }).end(body));
  }).listen(port, host);
}

if (require.main === module) runMain(main);
