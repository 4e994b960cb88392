import { NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { createBookkeepingActivities, createProviderActivities } from './activities';
import { connectExternal, runMain } from './bootstrap';
import { publicBaseUrl, type Config } from './config';
import type { Repositories } from './db';
import { PROVIDER_NAMES, SMS_TASK_QUEUE, providerTaskQueue } from './domain/sms';
import type { Logger } from './log';
import { providerSeedsFromConfig } from './providers/seeds';
import { connectWorker, ensureSearchAttributes } from './temporal/connect';

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
  const main = await Worker.create({
    connection,
    namespace,
    taskQueue: SMS_TASK_QUEUE,
    workflowsPath: require.resolve('./workflows'),
    activities: createBookkeepingActivities({ repos, policy }),
  });

  const providerActivities = createProviderActivities({ repos, webhookBaseUrl, timeoutMs: config.SMS_PROVIDER_TIMEOUT_MS });
  const rows = new Map((await repos.providers.list()).map((row) => [row._id, row]));
  const providerWorkers = await Promise.all(
    PROVIDER_NAMES.map((name) =>
      Worker.create({
        connection,
        namespace,
        taskQueue: providerTaskQueue(name),
        activities: providerActivities,
        maxTaskQueueActivitiesPerSecond: rows.get(name)?.rate_limit ?? 10,
      }),
    ),
  );

  const workers = [main, ...providerWorkers];
  log.info('workers started', { task_queues: [SMS_TASK_QUEUE, ...PROVIDER_NAMES.map(providerTaskQueue)] });
  const done = Promise.all(workers.map((w) => w.run())).then(() => undefined);
  return {
    done,
    shutdown: async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await done.catch(() => undefined);
    },
  };
}

/** Production entry: the worker alone, against TEMPORAL_ADDRESS and MONGODB_URI. */
async function main(): Promise<void> {
  const { config, log, repos, target, client, close } = await connectExternal('worker');
  await repos.providers.seed(providerSeedsFromConfig(config));
  await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
  const connection = await connectWorker(target);
  // Default Runtime: SIGINT/SIGTERM make every worker drain and stop, which ends `done`.
  Runtime.instance();
  const workers = await startWorkers({ config, repos, connection, webhookBaseUrl: publicBaseUrl(config), log });
  await workers.done;
  await connection.close();
  await close();
}

if (require.main === module) runMain(main);
