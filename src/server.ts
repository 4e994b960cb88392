import { serve, type ServerType } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import { createApp } from './api/app';
import { loadConfig, publicBaseUrl, type Config } from './config';
import { createRepositories, type Repositories } from './db';
import { connectMongo, pingMongo } from './db/mongo';
import { createLogger, type Logger } from './log';
import { ReceiptIntake } from './services/receiptIntake';
import { SmsIntake } from './services/smsIntake';
import { connectClient, pingTemporal, temporalTarget } from './temporal/connect';
import type { Db } from 'mongodb';

export interface ApiDeps {
  config: Config;
  db: Db;
  repos: Repositories;
  temporal: Client;
  log: Logger;
}

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

export async function startApi({ config, db, repos, temporal, log }: ApiDeps): Promise<RunningApi> {
  const app = createApp({
    repos,
    intake: new SmsIntake(repos.messages, temporal),
    receipts: new ReceiptIntake(repos.messages, repos.webhookEvents, temporal),
    adminToken: config.ADMIN_TOKEN,
    publicBaseUrl: publicBaseUrl(config),
    readiness: { mongodb: () => pingMongo(db), temporal: () => pingTemporal(temporal) },
    log,
  });
  const server = await new Promise<ServerType>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: config.HOST, port: config.PORT }, () => resolve(s));
    s.once('error', reject);
  });
  const url = `http://${config.HOST}:${config.PORT}`;
  log.info('api listening', { url });
  return { url, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** Production entry: the API alone, against TEMPORAL_ADDRESS and MONGODB_URI. */
async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('api', config.LOG_LEVEL);
  if (!config.TEMPORAL_ADDRESS || !config.MONGODB_URI) throw new Error('TEMPORAL_ADDRESS and MONGODB_URI must be set to run the API alone (or use `npm start`)');
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  const repos = await createRepositories(mongo.db, config.CREDENTIALS_KEY);
  const temporal = await connectClient(temporalTarget(config, config.TEMPORAL_ADDRESS));
  const api = await startApi({ config, db: mongo.db, repos, temporal, log });
  const stop = async () => {
    await api.close();
    await temporal.connection.close();
    await mongo.close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
