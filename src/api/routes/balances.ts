import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { Client } from '@temporalio/client';
import type { AuditRepository } from '../../db/audit';
import { BALANCE_SCHEDULE_ID } from '../../workflows/balances';
import type { AuthEnv } from '../auth';
import { json, openApiHook } from '../openapi';
import { ErrorResponse } from '../schemas';

/** Admins can ask the providers for their balances now (after a top-up) instead of waiting for the schedule. */
export function balanceRoutes({ temporal, audit }: { temporal: Client; audit: AuditRepository }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });
  app.openapi(
    createRoute({
      tags: ['providers'],
      security: [{ bearer: [] }],
      method: 'post',
      path: '/refresh',
      summary: 'Ask Every8d and Mitake for their balances now (admin); GET /providers shows the result',
      responses: { 202: json(z.object({ triggered: z.boolean() }), 'Triggered'), 401: json(ErrorResponse, 'Token'), 403: json(ErrorResponse, 'Admins only') },
    }),
    async (c) => {
      await temporal.schedule.getHandle(BALANCE_SCHEDULE_ID).trigger();
      await audit.record({ actor: c.get('principal').id, action: 'provider.balances_refreshed', target: { type: 'schedule', id: BALANCE_SCHEDULE_ID } });
      return c.json({ triggered: true }, 202);
    },
  );
  return app;
}
