import { resolve } from 'node:path';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { DEV_ADMIN_TOKEN, loadConfig, publicBaseUrl, simulatorCredit } from './config';
import { createRepositories } from './db';
import { connectMongo } from './db/mongo';
import { seedDefaults } from './db/seed';
import { createLogger } from './log';
import { providerSeedsFromConfig, simulatorSeeds } from './providers/seeds';
import { SIMULATOR_CREDENTIALS, startSimulators } from './simulator';
import { devUiCodec, startEmbeddedMongo, startEmbeddedTemporal } from './stack/embedded';
import { Supervised, type Running } from './stack/supervisor';
import { startApi } from './server';
import { ensureSchedules } from './temporal/schedules';
import { connectClient, connectWorker, ensureSearchAttributes, temporalServesNamespace, temporalTarget, waitUntilNamespaceServed } from './temporal/connect';
import { startWorkers } from './worker';

/**
 * `npm start`: the whole service on one machine. Starts the Temporal dev server and FerretDB unless
 * TEMPORAL_ADDRESS / MONGODB_URI point elsewhere, then the provider simulators, the workers and the API. The two
 * servers and the workers are supervised: restarted with back-off when they stop, the command exits 1 when one
 * cannot be brought back (stack/supervisor.ts).
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('start', config.LOG_LEVEL);
  const progress = (line: string) => console.log(line);
  const stops: (() => Promise<unknown>)[] = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((err) => log.warn('stop failed', { error: String(err) }));
  };
  // We own shutdown order (workers drain before the servers they need go away), so Temporal installs no handlers.
  Runtime.install({ shutdownSignals: [], logger: new DefaultLogger(config.LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });
  let stopping = false;
  // A supervised child that cannot be brought back ends the whole command, non-zero, rather than leaving it half-alive.
  const giveUp = (message: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`\n${message}; see the logs in ${resolve(config.DATA_DIR, 'logs')}. Stopping.`);
    void stopAll().then(() => process.exit(1));
  };
  /** /readyz lists each supervised child: `true` while it runs, `false` while it is being restarted or has failed. */
  const children = new Map<string, Supervised>();
  const readiness: Record<string, () => Promise<boolean>> = {};
  const checkOf = (check: string) => async () => children.get(check)?.up ?? false;
  const supervise = async (name: string, check: string, startOnce: () => Promise<Running>) => {
    const child = new Supervised(name, startOnce, log, giveUp);
    readiness[check] = checkOf(check);
    await child.start();
    children.set(check, child);
    stops.push(() => child.stop());
  };
  // The API takes its checks when it is built, before the workers start: theirs is named up front.
  if (config.RUN_WORKERS) readiness.workers = checkOf('workers');
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) return;
      stopping = true;
      console.log('\nStopping…');
      void stopAll().then(() => process.exit(0));
    });
  }

  try {
    const embedded = {
      dataDir: resolve(config.DATA_DIR),
      cacheDir: config.CACHE_DIR,
      repoRoot: resolve(__dirname, '..'),
      temporalCliPath: config.TEMPORAL_CLI_PATH,
      ferretDbPath: config.FERRETDB_PATH,
      progress,
    };
    let temporalAddress = config.TEMPORAL_ADDRESS;
    let temporalUi = config.TEMPORAL_UI_URL;
    let uiCodec: ReturnType<typeof devUiCodec> | undefined;
    if (!temporalAddress) {
      uiCodec = config.APP_ENV === 'development' ? devUiCodec(config.PORT, config.TEMPORAL_UI_PORT) : undefined;
      const temporalOptions = { ...embedded, port: config.TEMPORAL_PORT, uiPort: config.TEMPORAL_UI_PORT, uiCodecEndpoint: uiCodec?.endpoint };
      await supervise('Temporal dev server', 'temporal_server', () => startEmbeddedTemporal(temporalOptions));
      temporalAddress = `127.0.0.1:${config.TEMPORAL_PORT}`;
      temporalUi = `http://127.0.0.1:${config.TEMPORAL_UI_PORT}`;
    }
    let mongoUri = config.MONGODB_URI;
    if (!mongoUri) {
      const mongoOptions = { ...embedded, port: config.MONGO_PORT };
      await supervise('FerretDB', 'embedded_store', () => startEmbeddedMongo(mongoOptions));
      mongoUri = `mongodb://127.0.0.1:${config.MONGO_PORT}/`;
    }

    const mongo = await connectMongo(mongoUri, config.MONGODB_DB, { bulkConnections: config.BULK_DB_CONNECTIONS });
    stops.push(() => mongo.close());
    // This process owns the rollups when it runs the workers too (the default).
    const repos = await createRepositories(mongo.db, config, config.RUN_WORKERS ? 'worker' : 'api');
    await seedDefaults(repos, config.ADMIN_TOKEN, log);
    const target = temporalTarget(config, temporalAddress);
    const client = await connectClient(target);
    stops.push(() => client.connection.close());
    // A running dev server that cannot serve the namespace for 30 s is restarted (see Supervised.watchHealth).
    children.get('temporal_server')?.watchHealth({
      check: () => temporalServesNamespace(client, config.TEMPORAL_NAMESPACE),
      intervalMs: 5_000,
      graceMs: 30_000,
    });
    // Meanwhile a dev server that never comes to serve it is restarted by the health watch above.
    await waitUntilNamespaceServed(client, config.TEMPORAL_NAMESPACE, 180_000);
    await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
    await ensureSchedules(client, config, log);

    const api = await startApi({ config, db: mongo.db, repos, temporal: client, log: createLogger('api', config.LOG_LEVEL), readiness, uiCodec });
    stops.push(api.close);
    const webhookBaseUrl = publicBaseUrl(config);
    let simulatorUrls: Record<string, string> = {};
    if (config.SIMULATORS) {
      const sims = await startSimulators(config.HOST, config.SIMULATOR_PORT, webhookBaseUrl, config.WEBHOOK_TOKEN, simulatorCredit(config));
      stops.push(sims.close);
      await repos.providers.seed(simulatorSeeds(sims.urls, SIMULATOR_CREDENTIALS));
      simulatorUrls = sims.urls;
    } else {
      await repos.providers.seed(providerSeedsFromConfig(config));
    }

    if (config.RUN_WORKERS) {
      const connection = await connectWorker(target);
      stops.push(() => connection.close());
      const workerLog = createLogger('worker', config.LOG_LEVEL);
      await supervise('workers', 'workers', async () => {
        const workers = await startWorkers({ config, repos, connection, webhookBaseUrl, log: workerLog });
        return {
          stop: workers.shutdown,
          exited: workers.done.then(
            () => 'stopped',
            (err) => `failed: ${String(err)}`,
          ),
        };
      });
    }

    console.log(
      [
        '',
        'LuckyGas SMS gateway is running',
        `  API          ${api.url}/api/v1/notifications`,
        `  API docs     ${api.url}/docs   (OpenAPI: ${api.url}/openapi.json)`,
        `  Temporal UI  ${temporalUi ?? '(external cluster)'}${uiCodec ? ' (payloads decoded through the API codec)' : ''}`,
        `  Temporal     ${temporalAddress} (namespace ${config.TEMPORAL_NAMESPACE})`,
        `  MongoDB      ${mongoUri.replace(/\/\/[^@/]*@/, '//***@')}`,
        ...Object.entries(simulatorUrls).map(([name, url]) => `  simulator    ${name.padEnd(8)} ${url}`),
        `  Admin token  ${config.ADMIN_TOKEN === DEV_ADMIN_TOKEN ? `${DEV_ADMIN_TOKEN} (development default; set ADMIN_TOKEN)` : 'from ADMIN_TOKEN'}`,
        `  Mode         ${config.APP_ENV}${config.APP_ENV === 'development' ? ' (development defaults and simulators; production runs `npm run start:api` and `start:worker`, which refuse them)' : ''}`,
        'Press Ctrl-C to stop.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    console.error(`Start-up failed: ${err instanceof Error ? err.message : String(err)}`);
    await stopAll();
    process.exit(1);
  }
}

void main();
