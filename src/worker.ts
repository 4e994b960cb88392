import { createServer } from 'node:http';
import { Client, WorkflowNotFoundError } from '@temporalio/client';
import { DefaultLogger, type NativeConnection, Runtime, Worker, bundleWorkflowCode } from '@temporalio/worker';
import { createBookkeepingActivities, createBulkActivities, createProviderActivities } from './activities';
import { createAlertActivities } from './activities/alerts';
import { createOrderActivities, workerSmsIntake } from './activities/orders';
import { recordSent } from './activities/bookkeeping';
import { sendPlanning, sendPolicyOf } from './services/sendPlanning';
import { createRetentionActivities } from './activities/retention';
import { createBalanceActivities } from './activities/balances';
import { createCallbackActivities } from './activities/callbacks';
import { startStatusCallbackWorkflow } from './temporal/callbackStarts';
import { BoundedTemporal } from './temporal/boundedCalls';
import { ensureSchedules } from './temporal/schedules';
import { askMessageToCancel } from './temporal/starts';
import { connectExternal, runMain } from './bootstrap';
import { phoneLimits, publicBaseUrl, quietWindows, type Config } from './config';
import { PhoneBudget } from './services/phoneBudget';
import { FreshRead } from './db/freshRead';
import { SmsCancellation } from './services/smsCancel';
import type { Repositories } from './db';
import { PROVIDER_NAMES, SMS_TASK_QUEUE, SMS_TRANSACTIONAL_TASK_QUEUE, providerTaskQueue } from './domain/sms';
import { ProviderWorkerPool } from './temporal/providerWorkerPool';
import { inDatabaseLanes } from './temporal/activityLanes';
import { OutboxRelay } from './services/outboxRelay';
import type { Logger } from './log';
import { warmUpWorkflowThread } from './temporal/warmUp';
import { metrics } from './metrics';
import { providerSeedsFromConfig } from './providers/seeds';
import { connectWorker, dataConverterFor, ensureSearchAttributes } from './temporal/connect';
import { slotReleasedSignal } from './workflows/signals';

/** How old the quiet-hour windows a send checks may be. */
const QUIET_WINDOWS_MAX_AGE_MS = 5_000;

/** A receiver gets this long to answer one status callback before the attempt counts as failed (and is retried). */
const CALLBACK_POST_TIMEOUT_MS = 10_000;

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
  const policy = sendPolicyOf(config);
  const dataConverter = dataConverterFor(config);
  const bookkeeping = createBookkeepingActivities({ repos, policy });
  // Provider activities signal batch workflows (a freed window slot) through the worker's own connection.
  const client = new Client({ connection, namespace, dataConverter });
  const workflowActivities = {
    ...bookkeeping,
    ...createBulkActivities({
      repos,
      pageSize: config.BULK_PAGE_SIZE,
      window: config.BULK_WINDOW,
      defaultQuietHours: quietWindows(config),
      budget: new PhoneBudget(repos.phoneCounters, phoneLimits(config), repos.alerts),
      planSends: sendPlanning({ repos, policy }).planSends,
      askToCancel: (messageId, updateId) => askMessageToCancel(client, messageId, updateId),
    }),
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
      lowBalancePoints: config.ALERT_LOW_BALANCE_POINTS,
    }),
    ...createBalanceActivities({ repos, timeoutMs: config.SMS_PROVIDER_TIMEOUT_MS }),
    ...createRetentionActivities({ repos, retentionDays: config.MESSAGE_RETENTION_DAYS }),
    ...createOrderActivities({
      repos,
      intake: workerSmsIntake(config, repos, client),
      cancellation: new SmsCancellation(repos.messages, client, config.SMS_PROVIDER_TIMEOUT_MS),
    }),
    ...createCallbackActivities({ repos, policy: { development: config.APP_ENV === 'development' }, timeoutMs: CALLBACK_POST_TIMEOUT_MS }),
  };
  // Status changes recorded in this process start their callbacks' workflows at once (else the relay does).
  // Bounded, so a Temporal outage leaves callbacks to the relay instead of piling up hanging calls.
  const boundedTemporal = new BoundedTemporal(client);
  repos.statusCallbacks.startWith(async (callback) => {
    const started = await boundedTemporal.call((c) => startStatusCallbackWorkflow(c, callback));
    if (!started.ok) throw new Error(started.reason);
  });
  // Read by the workflow threads the SDK spawns in Worker.create (our patch to @temporalio/worker, patches/).
  process.env.TEMPORAL_WORKFLOW_STACK_TRACES = config.WORKFLOW_STACK_TRACES ? 'on' : 'off';
  // Bundled once for both workflow workers.
  const workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), logger: new DefaultLogger('WARN') });
  const main = await Worker.create({
    connection,
    namespace,
    dataConverter,
    taskQueue: SMS_TASK_QUEUE,
    workflowBundle,
    activities: inDatabaseLanes(workflowActivities, { bulk: true }),
  });
  // Order and delivery notices: their own slots (workflow tasks and local bookkeeping), so a campaign flooding
  // `sms` never queues them inside this process.
  const transactional = await Worker.create({
    connection,
    namespace,
    dataConverter,
    taskQueue: SMS_TRANSACTIONAL_TASK_QUEUE,
    workflowBundle,
    activities: inDatabaseLanes(workflowActivities, { bulk: false }),
    maxConcurrentWorkflowTaskExecutions: 10,
    maxConcurrentLocalActivityExecutions: 20,
  });
  // Read by every marketing send (quiet hours at send time); an operator's change is seen within seconds.
  const quietWindowsRead = new FreshRead(() => repos.settings.quietHours(quietWindows(config)));
  const pool = new ProviderWorkerPool(
    connection,
    namespace,
    dataConverter,
    inDatabaseLanes(
      createProviderActivities({
        repos,
        circuit: { failureThreshold: config.CIRCUIT_FAILURE_THRESHOLD, cooldownMs: config.CIRCUIT_COOLDOWN_MS },
        webhookBaseUrl,
        webhookToken: config.WEBHOOK_TOKEN,
        timeoutMs: config.SMS_PROVIDER_TIMEOUT_MS,
        recordSent: (input, known, notBefore) => recordSent(repos, input, { known, notBefore }),
        quietWindows: (fresh) => quietWindowsRead.get(fresh ? undefined : Date.now() - QUIET_WINDOWS_MAX_AGE_MS),
        releaseSlot: async (batchWorkflowId, messageId) => {
          try {
            await client.workflow.getHandle(batchWorkflowId).signal(slotReleasedSignal, messageId);
          } catch (err) {
            // A finished (e.g. cancelled) batch waits for nobody.
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          }
        },
      }),
      'by-priority',
    ),
    log,
    config.PROVIDER_ACTIVITY_SLOTS,
  );
  await pool.reconcile(await repos.providers.list());
  // Rate limits are edited through the admin API; the pool follows them without a restart.
  const refresh = setInterval(() => {
    repos.providers
      .list()
      .then((rows) => pool.reconcile(rows))
      .catch((err) => log.warn('could not refresh provider rate limits', { error: String(err) }));
  }, config.PROVIDER_REFRESH_MS);

  // Starts and receipts that intake could not hand to Temporal (an outage, an API crash) are relayed from here.
  const relay = new OutboxRelay({ outbox: repos.temporalOutbox, messages: repos.messages, batches: repos.batches, client, log }).start(
    config.OUTBOX_RELAY_INTERVAL_MS,
  );
  log.info('workers started', { task_queues: [SMS_TASK_QUEUE, SMS_TRANSACTIONAL_TASK_QUEUE, ...PROVIDER_NAMES.map(providerTaskQueue)] });
  const done = Promise.all([main.run(), transactional.run()]).then(() => undefined);
  // Notices must not pay the transactional workflow thread's first-run cost (workflows/warmUp.ts).
  void warmUpWorkflowThread(client, SMS_TRANSACTIONAL_TASK_QUEUE, log);
  return {
    done,
    shutdown: async () => {
      clearInterval(refresh);
      await relay.stop();
      for (const worker of [main, transactional]) if (worker.getState() === 'RUNNING') worker.shutdown();
      await Promise.all([done.catch(() => undefined), pool.shutdown()]);
      await repos.balances.flush(); // the newest balance figures the sends reported
    },
  };
}

/** Production entry: the worker alone, against TEMPORAL_ADDRESS and MONGODB_URI. */
async function main(): Promise<void> {
  const { config, log, repos, target, client, close } = await connectExternal('worker');
  await repos.providers.seed(providerSeedsFromConfig(config));
  await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
  await ensureSchedules(client, config, log);
  const connection = await connectWorker(target);
  // Default Runtime: SIGINT/SIGTERM make every worker drain and stop, which ends `done`.
  Runtime.instance();
  const workers = await startWorkers({ config, repos, connection, webhookBaseUrl: publicBaseUrl(config), log });
  const metricsServer = config.WORKER_METRICS_PORT ? serveMetrics(config.HOST, config.WORKER_METRICS_PORT) : undefined;
  console.log(
    `LuckyGas SMS worker is running against ${config.TEMPORAL_ADDRESS} (task queues ${[SMS_TASK_QUEUE, SMS_TRANSACTIONAL_TASK_QUEUE, ...PROVIDER_NAMES.map(providerTaskQueue)].join(', ')})`,
  );
  await workers.done;
  // A signal drains the workflow workers, which ends `done`; the relay, the provider-refresh timer, the provider
  // workers and the balance flush stop here, or they would keep the drained process alive until it is killed.
  await workers.shutdown();
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
