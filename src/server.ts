import { serve, type ServerType } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import { createApp } from './api/app';
import { connectExternal, runMain } from './bootstrap';
import { MessageLog } from './db/messageLog';
import { csv, defaultContentPolicy, publicBaseUrl, quietWindows, type Config } from './config';
import type { Repositories } from './db';
import { pingMongo } from './db/mongo';
import type { Logger } from './log';
import { BulkIntake } from './services/bulkIntake';
import { CampaignService } from './services/campaigns';
import { RateLimiter } from './services/rateLimits';
import { ReceiptIntake } from './services/receiptIntake';
import { OptOutLedger } from './services/optOuts';
import { ContentPolicyService } from './services/contentPolicy';
import { SmsIntake } from './services/smsIntake';
import { dataConverterFor, pingTemporal } from './temporal/connect';
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

/** The API application wired from configuration; startApi serves it, tests may call it directly. */
export function buildApp({ config, db, repos, temporal, log }: ApiDeps) {
  const rateLimiter = new RateLimiter(repos.rateCounters, {
    perHour: config.PHONE_LIMIT_PER_HOUR,
    perDay: config.PHONE_LIMIT_PER_DAY,
    transactionalPerHour: config.PHONE_TRANSACTIONAL_LIMIT_PER_HOUR,
    transactionalPerDay: config.PHONE_TRANSACTIONAL_LIMIT_PER_DAY,
  }, repos.alerts);
  const optOuts = new OptOutLedger(repos.optOuts, repos.audit);
  const contentPolicy = new ContentPolicyService(repos.settings, defaultContentPolicy(config));
  return createApp({
    repos,
    messageLog: new MessageLog(db, repos.messages, (config.MESSAGE_RETENTION_DAYS + 1) * 24 * 3600_000),
    intake: new SmsIntake(repos.messages, repos.templates, temporal, rateLimiter, () => repos.settings.quietHours(quietWindows(config)), optOuts, contentPolicy),
    receipts: new ReceiptIntake(repos.messages, repos.webhookEvents, temporal, repos.earlyReceipts),
    bulkIntake: new BulkIntake(repos.batches, repos.templates, temporal, optOuts, contentPolicy),
    optOuts,
    contentPolicy,
    campaigns: new CampaignService(repos.campaigns, repos.templates, temporal),
    temporal,
    defaultQuietHours: quietWindows(config),
    rateLimiter,
    defaultRateLimit: config.RATE_LIMIT_PER_MINUTE,
    jwtSecret: config.JWT_SECRET,
    webhookGuard: { token: config.WEBHOOK_TOKEN, ipAllowlist: csv(config.WEBHOOK_IP_ALLOWLIST) },
    codec: { codec: dataConverterFor(config).payloadCodecs![0], corsOrigins: csv(config.CODEC_CORS_ORIGINS) },
    production: config.APP_ENV === 'production',
    publicBaseUrl: publicBaseUrl(config),
    retentionDays: config.MESSAGE_RETENTION_DAYS,
    readiness: { mongodb: () => pingMongo(db), temporal: () => pingTemporal(temporal) },
    log,
  });
}

export async function startApi(deps: ApiDeps): Promise<RunningApi> {
  const { config, log } = deps;
  const app = buildApp(deps);
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
  const { config, log, mongo, repos, client, close } = await connectExternal('api');
  const api = await startApi({ config, db: mongo.db, repos, temporal: client, log });
  const stop = async () => {
    await api.close();
    await close();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) runMain(main);
