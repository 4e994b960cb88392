import type { Server } from 'node:http';
import { serve, type ServerType } from '@hono/node-server';
import type { Client } from '@temporalio/client';
import { createApp } from './api/app';
import { applyServerTimeouts } from './api/connections';
import { connectExternal, runMain } from './bootstrap';
import { MessageLog } from './db/messageLog';
import { csv, defaultContentPolicy, phoneLimits, providerUrlPolicy, publicBaseUrl, quietWindows, type Config } from './config';
import type { Repositories } from './db';
import { pingMongo } from './db/mongo';
import { StoreHealth } from './db/storeHealth';
import type { Logger } from './log';
import { BulkIntake } from './services/bulkIntake';
import { CampaignService } from './services/campaigns';
import { PhoneBudget } from './services/phoneBudget';
import { RateLimiter } from './services/rateLimits';
import { ReceiptIntake } from './services/receiptIntake';
import { OptOutLedger } from './services/optOuts';
import { ContentPolicyService } from './services/contentPolicy';
import { SmsIntake } from './services/smsIntake';
import { sendPlanning, sendPolicyOf } from './services/sendPlanning';
import { OrderNotifications } from './services/orderNotifications';
import { BoundedTemporal } from './temporal/boundedCalls';
import { dataConverterFor, pingTemporal } from './temporal/connect';
import type { Db } from 'mongodb';

/** A store that leaves a ping unanswered for a second is treated as down (hung): requests get 503, not a wait. */
const STORE_PING_OVERDUE_MS = 1_000;
const STORE_PING_INTERVAL_MS = 250;

/** Within the 10 s a container gets to stop: the HTTP drain and the parked rows together, then the connections. */
const PARKED_ROWS_AT_SHUTDOWN_MS = 4_000;

export interface ApiDeps {
  config: Config;
  db: Db;
  repos: Repositories;
  temporal: Client;
  log: Logger;
  /** More readiness checks, e.g. the supervised processes of `npm start`. */
  readiness?: Record<string, () => Promise<boolean>>;
  /** The embedded Temporal UI's codec access in development (see devUiCodec in src/stack/embedded.ts). */
  uiCodec?: { secret: string; origin: string };
}

export interface RunningApi {
  url: string;
  close(): Promise<void>;
}

/** The API application wired from configuration; startApi serves it, tests may call it directly. */
export function buildApp({ config, db, repos, temporal, log, readiness = {}, uiCodec }: ApiDeps) {
  // Never in production, whatever the caller passes: the path itself is the credential.
  const devUi = config.APP_ENV === 'development' ? uiCodec : undefined;
  const rateLimiter = new RateLimiter(repos.rateCounters, repos.alerts);
  const phoneBudget = new PhoneBudget(repos.phoneCounters, phoneLimits(config), repos.alerts);
  const optOuts = new OptOutLedger(repos.optOuts, repos.audit);
  const contentPolicy = new ContentPolicyService(repos.settings, defaultContentPolicy(config));
  // One bound for every Temporal call on a request path, so an outage seen by one request spares the next ones the wait.
  const bounded = new BoundedTemporal(temporal);
  return createApp({
    repos,
    messageLog: new MessageLog(db, repos.messages, (config.MESSAGE_RETENTION_DAYS + 1) * 24 * 3600_000),
    intake: new SmsIntake(
      repos.messages,
      repos.templates,
      bounded,
      repos.temporalOutbox,
      phoneBudget,
      () => repos.settings.quietHours(quietWindows(config)),
      optOuts,
      contentPolicy,
      sendPlanning({ repos, policy: sendPolicyOf(config) }),
    ),
    orders: new OrderNotifications(repos.orderEvents, repos.templates, temporal),
    receipts: new ReceiptIntake(repos.messages, repos.webhookEvents, bounded, repos.earlyReceipts, repos.temporalOutbox),
    bulkIntake: new BulkIntake(repos.batches, repos.templates, bounded, repos.temporalOutbox, phoneBudget, optOuts, contentPolicy),
    optOuts,
    contentPolicy,
    campaigns: new CampaignService(repos.campaigns, repos.campaignRuns, repos.batches, repos.templates, temporal, contentPolicy),
    temporal,
    defaultQuietHours: quietWindows(config),
    rateLimiter,
    defaultRateLimit: config.RATE_LIMIT_PER_MINUTE,
    phoneLookupsPerHour: config.PHONE_LOOKUPS_PER_HOUR,
    jwt: config.JWT_SECRET
      ? { secret: config.JWT_SECRET, issuer: config.JWT_ISSUER, audience: config.JWT_AUDIENCE, maxLifetimeS: config.JWT_MAX_LIFETIME_S }
      : undefined,
    authFailuresPerMinute: config.AUTH_FAILURES_PER_MINUTE,
    webhookGuard: {
      tokens: [config.WEBHOOK_TOKEN, ...(config.WEBHOOK_TOKEN_PREVIOUS ? [config.WEBHOOK_TOKEN_PREVIOUS] : [])],
      ipAllowlist: csv(config.WEBHOOK_IP_ALLOWLIST),
      trustedProxies: csv(config.TRUSTED_PROXIES),
    },
    codec: {
      codec: dataConverterFor(config).payloadCodecs![0],
      corsOrigins: [...csv(config.CODEC_CORS_ORIGINS), ...(devUi ? [devUi.origin] : [])],
      ...(devUi ? { uiSecret: devUi.secret } : {}),
    },
    production: config.APP_ENV === 'production',
    providerUrlPolicy: providerUrlPolicy(config),
    lowBalancePoints: config.ALERT_LOW_BALANCE_POINTS,
    publicBaseUrl: publicBaseUrl(config),
    retentionDays: config.MESSAGE_RETENTION_DAYS,
    providerTimeoutMs: config.SMS_PROVIDER_TIMEOUT_MS,
    readiness: { mongodb: () => pingMongo(db), temporal: () => pingTemporal(temporal), ...readiness },
    store: new StoreHealth(db.client, STORE_PING_OVERDUE_MS).watch(() => db.command({ ping: 1 }), STORE_PING_INTERVAL_MS),
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
  // serve() is typed for HTTP/2 as well; we serve plain HTTP/1.1.
  applyServerTimeouts(server as Server);
  const url = `http://${config.HOST}:${config.PORT}`;
  log.info('api listening', { url });
  const close = async () => {
    // One budget for the drain and the rows, taken now: a slow drain leaves the rows less time, not the stop more.
    const deadline = Date.now() + PARKED_ROWS_AT_SHUTDOWN_MS;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    // Receipts taken during a store outage whose rows still wait (the store may be back since the last retry).
    const givenUp = await deps.repos.webhookEvents.writeParkedBefore(deadline);
    if (givenUp > 0) log.warn('receipt rows not stored before shutdown (their receipts were applied)', { rows: givenUp });
  };
  return { url, close };
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
