import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { Alert, AlertRepository } from '../../db/alerts';
import type { AuditRepository } from '../../db/audit';
import { ALERT_SCHEDULE_ID } from '../../workflows/alerts';
import type { AuthEnv } from '../auth';
import { json, openApiHook } from '../openapi';
import { callableBy } from '../routeRoles';
import { ErrorResponse } from '../schemas';

const common = { tags: ['alerts'], security: [{ bearer: [] }] };
const errors = { 401: json(ErrorResponse, 'Token'), 403: json(ErrorResponse, 'Role') };

/** Alerts found by the scheduled rule evaluation; admins can ask for an evaluation now. */
export function alertRoutes({ alerts, temporal, audit }: { alerts: AlertRepository; temporal: Client; audit: AuditRepository }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/',
      ...callableBy('sender', 'viewer'),
      summary: 'Alerts, newest first',
      request: { query: z.object({ state: z.enum(['open', 'resolved']).optional() }) },
      responses: { 200: json(z.object({ alerts: z.array(z.record(z.string(), z.unknown())) }), 'Alerts'), ...errors },
    }),
    async (c) => c.json({ alerts: (await alerts.list(c.req.valid('query').state)).map(alertView) }, 200),
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/evaluate',
      summary: 'Evaluate the alert rules now (admin)',
      responses: { 202: json(z.object({ triggered: z.boolean() }), 'Triggered'), ...errors },
    }),
    async (c) => {
      await temporal.schedule.getHandle(ALERT_SCHEDULE_ID).trigger();
      await audit.record({ actor: c.get('principal').id, action: 'alerts.evaluated', target: { type: 'schedule', id: ALERT_SCHEDULE_ID } });
      return c.json({ triggered: true }, 202);
    },
  );

  return app;
}

function alertView(a: Alert) {
  return {
    id: a._id,
    rule: a.rule,
    subject: a.subject,
    state: a.state,
    message: a.message,
    details: a.details,
    opened_at: a.opened_at.toISOString(),
    updated_at: a.updated_at.toISOString(),
    resolved_at: a.resolved_at?.toISOString() ?? null,
  };
}
