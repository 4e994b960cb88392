import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from './config';
import { createRepositories, type Repositories } from './db';
import { connectMongo, type Mongo } from './db/mongo';
import { seedDefaults } from './db/seed';
import { createLogger, type Logger } from './log';
import { connectClient, temporalTarget, type TemporalTarget } from './temporal/connect';

export interface ExternalDeps {
  config: Config;
  log: Logger;
  mongo: Mongo;
  repos: Repositories;
  target: TemporalTarget;
  client: Client;
  close(): Promise<void>;
}

/** What the API and the worker share when they run alone against real servers (production). */
export async function connectExternal(component: 'api' | 'worker'): Promise<ExternalDeps> {
  const config = loadConfig();
  const log = createLogger(component, config.LOG_LEVEL);
  if (!config.TEMPORAL_ADDRESS || !config.MONGODB_URI) {
    throw new Error(`TEMPORAL_ADDRESS and MONGODB_URI must be set to run the ${component} alone (or use \`npm start\`)`);
  }
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB, { bulkConnections: config.BULK_DB_CONNECTIONS });
  const repos = await createRepositories(mongo.db, config, component);
  await seedDefaults(repos, config.ADMIN_TOKEN, log);
  const target = temporalTarget(config, config.TEMPORAL_ADDRESS);
  const client = await connectClient(target);
  const close = async () => {
    await client.connection.close();
    await mongo.close();
  };
  return { config, log, mongo, repos, target, client, close };
}

/** Runs an entry point, printing only the message of a start-up failure (no stack for configuration errors). */
export function runMain(main: () => Promise<void>): void {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
