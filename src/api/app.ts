import { OpenAPIHono } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { MiddlewareHandler } from 'hono';
import { cors } from 'hono/cors';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { Repositories } from '../db';
import type { ProviderUrlPolicy } from '../domain/providerUrls';
import type { QuietWindow } from '../domain/quietHours';
import type { BulkIntake } from '../services/bulkIntake';
import type { CampaignService } from '../services/campaigns';
import { ApiError } from '../errors';
import { metrics } from '../metrics';
import type { Logger } from '../log';
import type { RateLimiter } from '../services/rateLimits';
import type { ReceiptIntake } from '../services/receiptIntake';
import type { SmsIntake } from '../services/smsIntake';
import type { OptOutLedger } from '../services/optOuts';
import { InboundReplies } from '../services/inboundReplies';
import type { ContentPolicyService } from '../services/contentPolicy';
import { optOutRoutes } from './routes/optOuts';
import { contentPolicyRoutes } from './routes/contentPolicy';
import { authenticate, type AuthEnv, type JwtPolicy } from './auth';
import { closeAfterErrorWithBody } from './connections';
import { allow } from './routeRoles';
import { onError, storeUnavailable } from './errors';
import type { StoreHealth } from '../db/storeHealth';
import { adminRoutes } from './routes/admin';
import { callbackRoutes } from './routes/callbacks';
import { alertRoutes } from './routes/alerts';
import { bulkRoutes } from './routes/bulk';
import { campaignRoutes } from './routes/campaigns';
import { codecRoutes } from './routes/codec';
import { dashboardRoutes } from './routes/dashboard';
import { docsRoutes } from './routes/docs';
import { healthRoutes } from './routes/health';
import { logRoutes } from './routes/logs';
import type { MessageLog } from '../db/messageLog';
import { notificationRoutes } from './routes/notifications';
import { orderRoutes } from './routes/orders';
import type { OrderNotifications } from '../services/orderNotifications';
import { smsControlRoutes } from './routes/smsControl';
import { SmsCancellation } from '../services/smsCancel';
import { providerRoutes } from './routes/providers';
import { balanceRoutes } from './routes/balances';
import { retentionRoutes } from './routes/retention';
import { templateRoutes } from './routes/templates';
import { testSendRoutes } from './routes/testSend';
import { RECEIPT_ROUTES, webhookRoutes, type WebhookGuard } from './routes/webhooks';

export interface AppDeps {
  repos: Repositories;
  messageLog: MessageLog;
  intake: SmsIntake;
  orders: OrderNotifications;
  receipts: ReceiptIntake;
  bulkIntake: BulkIntake;
  optOuts: OptOutLedger;
  contentPolicy: ContentPolicyService;
  campaigns: CampaignService;
  temporal: Client;
  defaultQuietHours: QuietWindow[];
  rateLimiter: RateLimiter;
  /** Requests per minute for a principal without a limit of its own. */
  defaultRateLimit: number;
  /** Log searches by phone number per non-admin key per hour. */
  phoneLookupsPerHour: number;
  /** Unset: JWTs are not accepted. */
  jwt?: JwtPolicy;
  /** Failed authentications per client address per minute before that address is refused (429). */
  authFailuresPerMinute: number;
  webhookGuard: WebhookGuard;
  /** `uiSecret`: development only, the embedded Temporal UI's codec path `/codec-ui/<uiSecret>` (no bearer token). */
  codec: { codec: PayloadCodec; corsOrigins: string[]; uiSecret?: string };
  /** In production the test-send route does not exist (404). */
  production: boolean;
  /** Where admins may point provider endpoints. */
  providerUrlPolicy: ProviderUrlPolicy;
  /** ALERT_LOW_BALANCE_POINTS: shown as the balance alert point of providers without one of their own. */
  lowBalancePoints?: number;
  publicBaseUrl: string;
  /** MESSAGE_RETENTION_DAYS, shown by the retention policy endpoint. */
  retentionDays: number;
  /** SMS_PROVIDER_TIMEOUT_MS: how long a cancel may wait for a provider call under way. */
  providerTimeoutMs: number;
  readiness: Record<string, () => Promise<boolean>>;
  /** While MongoDB is known to be unreachable, API calls are answered 503 at once. */
  store: StoreHealth;
  log: Logger;
}

/** Largest JSON body a single-SMS or admin request needs; bulk uploads get their own limit. */
const MAX_BODY_BYTES = 64 * 1024;
/** 100 000 recipients with template data fit comfortably; beyond this a batch should be split. */
const MAX_BULK_BODY_BYTES = 32 * 1024 * 1024;
const BULK_PATH = '/api/v1/notifications/send-bulk-sms';
const WEBHOOKS_PATH = '/api/v1/webhooks/sms';
const isReceiptPath = (path: string) => RECEIPT_ROUTES.some((route) => path === `${WEBHOOKS_PATH}${route}`);

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AuthEnv>();
  const logError = (message: string, fields: Record<string, unknown>) => deps.log.error(message, fields);

  app.use('*', closeAfterErrorWithBody());
  app.use('*', secureHeaders({ contentSecurityPolicy: undefined }));
  app.use('*', async (c, next) => {
    await next();
    // The matched route pattern, never the concrete path: ids and numbers stay out of metric labels.
    metrics().httpRequests.inc({ method: c.req.method, route: c.req.routePath, status: String(c.res.status) });
  });
  const limitBody = (maxSize: number) =>
    bodyLimit({
      maxSize,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `Request body must be at most ${maxSize} bytes`);
      },
    });
  const smallBodies = limitBody(MAX_BODY_BYTES);
  const bulkBodies = limitBody(MAX_BULK_BODY_BYTES);
  app.use('/api/*', (c, next) => (c.req.path === BULK_PATH ? bulkBodies(c, next) : smallBodies(c, next)));
  app.use('/api/*', async (c, next) => {
    // Receipts have a path of their own while the store is down, and when it fails under them (webhookRoutes):
    // Twilio does not resend them.
    if (isReceiptPath(c.req.path)) return next();
    if (deps.store.down) throw storeUnavailable();
    // A request already waiting on a store that then hangs is answered 503 too, rather than waiting with it; what it
    // started may still finish when the store resumes, which a retry with the same Idempotency-Key finds.
    const waiting = deps.store.untilDown();
    try {
      const handled = next().then(() => 'done' as const);
      handled.catch(() => undefined); // a late failure after the 503 went out must not become an unhandled rejection
      const outcome = await Promise.race([handled, waiting.promise]);
      if (outcome === 'down') throw storeUnavailable();
    } finally {
      waiting.cancel();
    }
  });
  // The codec decrypts whatever it is given: the same bound as any API body, checked before any work.
  app.use('/codec/*', smallBodies);
  const throttle = {
    admit: (address: string) => deps.rateLimiter.admitAuthentication(address, deps.authFailuresPerMinute),
    countFailure: (address: string) => deps.rateLimiter.countAuthenticationFailure(address),
    trustedProxies: deps.webhookGuard.trustedProxies,
  };
  const guarded = [authenticate({ apiKeys: deps.repos.apiKeys, jwt: deps.jwt, throttle }), rateLimitPerPrincipal(deps)];
  // The Temporal UI calls the codec from the browser: CORS for its origin, preflights answered before auth.
  const codecCors = cors({
    origin: deps.codec.corsOrigins,
    allowHeaders: ['Authorization', 'Content-Type', 'X-Namespace'],
    allowMethods: ['POST'],
    credentials: true,
  });
  app.use('/codec/*', codecCors);
  // The dev server's UI has no login to pass a token with, so in development it gets a path of its own whose
  // random segment (made at each start, known only to this process and the UI it started) is the credential.
  if (deps.codec.uiSecret) app.use('/codec-ui/*', codecCors, smallBodies);
  for (const path of ['/api/v1/notifications/*', '/api/v1/test/*', '/api/v1/api-keys', '/api/v1/api-keys/*', '/api/v1/audit-log', '/codec/*', '/metrics'])
    app.use(path, ...guarded);

  app.route('/', healthRoutes({ checks: deps.readiness }));
  app.get('/metrics', allow('viewer'), async (c) => c.text(await metrics().registry.metrics(), 200, { 'content-type': metrics().registry.contentType }));
  app.route(
    '/api/v1/notifications',
    notificationRoutes({ intake: deps.intake, messages: deps.repos.messages, callbackPolicy: { development: !deps.production } }),
  );
  app.route('/api/v1/notifications', callbackRoutes({ messages: deps.repos.messages, callbackLog: deps.repos.callbackLog }));
  app.route('/api/v1/notifications', orderRoutes({ orders: deps.orders, messages: deps.repos.messages }));
  app.route(
    '/api/v1/notifications',
    smsControlRoutes({ messages: deps.repos.messages, cancellation: new SmsCancellation(deps.repos.messages, deps.temporal, deps.providerTimeoutMs) }),
  );
  app.route('/api/v1/notifications/sms-templates', templateRoutes({ repos: deps.repos, policy: deps.contentPolicy }));
  app.route('/api/v1/notifications/providers/balances', balanceRoutes({ temporal: deps.temporal, audit: deps.repos.audit }));
  app.route(
    '/api/v1/notifications/providers',
    providerRoutes({ repos: deps.repos, urlPolicy: deps.providerUrlPolicy, lowBalancePoints: deps.lowBalancePoints }),
  );
  app.route(
    '/api/v1/notifications/settings/content-policy',
    contentPolicyRoutes({ policy: deps.contentPolicy, settings: deps.repos.settings, audit: deps.repos.audit }),
  );
  app.route('/api/v1/notifications/opt-outs', optOutRoutes({ ledger: deps.optOuts, optOuts: deps.repos.optOuts }));
  app.route(
    '/api/v1/notifications',
    logRoutes({
      log: deps.messageLog,
      batches: deps.repos.batches,
      rollups: deps.repos.rollups,
      rateLimiter: deps.rateLimiter,
      audit: deps.repos.audit,
      phoneLookupsPerHour: deps.phoneLookupsPerHour,
    }),
  );
  app.route('/api/v1/notifications/alerts', alertRoutes({ alerts: deps.repos.alerts, temporal: deps.temporal, audit: deps.repos.audit }));
  app.route('/api/v1/notifications/campaigns', campaignRoutes({ service: deps.campaigns, campaigns: deps.repos.campaigns, audit: deps.repos.audit }));
  app.route(
    '/api/v1/notifications',
    bulkRoutes({
      intake: deps.bulkIntake,
      repos: deps.repos,
      temporal: deps.temporal,
      defaultQuietHours: deps.defaultQuietHours,
      callbackPolicy: { development: !deps.production },
    }),
  );
  app.route('/api/v1', adminRoutes({ repos: deps.repos, callbackPolicy: { development: !deps.production } }));
  app.route('/api/v1/notifications/retention', retentionRoutes({ repos: deps.repos, temporal: deps.temporal, retentionDays: deps.retentionDays }));
  if (!deps.production) app.route('/api/v1/test', testSendRoutes({ intake: deps.intake, audit: deps.repos.audit }));
  app.route('/codec', codecRoutes(deps.codec.codec));
  if (deps.codec.uiSecret) app.route(`/codec-ui/${deps.codec.uiSecret}`, codecRoutes(deps.codec.codec));
  app.route(
    WEBHOOKS_PATH,
    webhookRoutes({
      receipts: deps.receipts,
      inbound: new InboundReplies(deps.optOuts, (m, f) => deps.log.info(m, f)),
      providers: deps.repos.providers,
      publicBaseUrl: deps.publicBaseUrl,
      guard: deps.webhookGuard,
      storeDown: () => deps.store.down,
      untilStoreDown: () => deps.store.untilDown(),
      // The alert's count needs the store; while it is down the refusal is still logged and in the metrics.
      countRejection: async () => {
        if (!deps.store.down) await deps.repos.alerts.countEvent('webhook_rejected');
      },
      log: (m, f) => deps.log.warn(m, f),
    }),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API key or HS256 JWT. An operation lists the roles that may call it in `x-roles`; without `x-roles` it is admin-only.',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'LuckyGas SMS gateway', version: '1.0.0', description: 'Durable SMS notifications through Twilio, Every8d and Mitake.' },
  });
  app.route('/docs', docsRoutes('/openapi.json'));
  app.route('/dashboard', dashboardRoutes());

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError(onError(logError));
  return app;
}

/** Requests per minute per API key / JWT subject, counted in MongoDB so every API replica shares the limit. */
function rateLimitPerPrincipal(deps: AppDeps): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const principal = c.get('principal');
    await deps.rateLimiter.admitRequest(principal.id, principal.rateLimitPerMinute ?? deps.defaultRateLimit);
    await next();
  };
}
