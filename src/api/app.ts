import { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { secureHeaders } from 'hono/secure-headers';
import type { Logger } from '../log';
import type { Repositories } from '../db';
import type { SmsIntake } from '../services/smsIntake';
import type { ReceiptIntake } from '../services/receiptIntake';
import { bearerAuth, type AuthEnv } from './auth';
import { ApiError } from '../errors';
import { onError } from './errors';
import { docsRoutes } from './routes/docs';
import { healthRoutes } from './routes/health';
import { notificationRoutes } from './routes/notifications';
import { templateRoutes } from './routes/templates';
import { testSendRoutes } from './routes/testSend';
import { webhookRoutes } from './routes/webhooks';

export interface AppDeps {
  repos: Repositories;
  intake: SmsIntake;
  receipts: ReceiptIntake;
  adminToken: string;
  /** In production the test-send route does not exist (404). */
  production: boolean;
  publicBaseUrl: string;
  readiness: Record<string, () => Promise<boolean>>;
  log: Logger;
}

/** Largest JSON body a single-SMS or admin request needs; bulk uploads get their own limit. */
const MAX_BODY_BYTES = 64 * 1024;

export function createApp(deps: AppDeps) {
  const app = new OpenAPIHono<AuthEnv>();
  const logError = (message: string, fields: Record<string, unknown>) => deps.log.error(message, fields);

  app.use('*', secureHeaders({ contentSecurityPolicy: undefined }));
  app.use(
    '/api/*',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new ApiError(413, 'payload_too_large', `Request body must be at most ${MAX_BODY_BYTES} bytes`);
      },
    }),
  );
  const auth = bearerAuth(deps.adminToken);
  app.use('/api/v1/notifications/*', auth);
  app.use('/api/v1/test/*', auth);

  app.route('/', healthRoutes({ checks: deps.readiness }));
  app.route('/api/v1/notifications', notificationRoutes({ intake: deps.intake, messages: deps.repos.messages }));
  app.route('/api/v1/notifications/sms-templates', templateRoutes({ repos: deps.repos }));
  if (!deps.production) app.route('/api/v1/test', testSendRoutes({ intake: deps.intake }));
  app.route(
    '/api/v1/webhooks/sms',
    webhookRoutes({ receipts: deps.receipts, providers: deps.repos.providers, publicBaseUrl: deps.publicBaseUrl, log: (m, f) => deps.log.warn(m, f) }),
  );

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer' });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'LuckyGas SMS gateway', version: '1.0.0', description: 'Durable SMS notifications through Twilio, Every8d and Mitake.' },
  });
  app.route('/docs', docsRoutes('/openapi.json'));

  app.notFound((c) => c.json({ error: { code: 'not_found', message: `No route for ${c.req.method} ${c.req.path}` } }, 404));
  app.onError(onError(logError));
  return app;
}
