import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { readableMessage } from '../ownership';
import { callableBy } from '../routeRoles';
import type { CallbackLogRepository } from '../../db/callbackLog';
import type { MessageRepository } from '../../db/messages';
import type { AuthEnv } from '../auth';
import { json, openApiHook } from '../openapi';
import { ErrorResponse, MessageIdParam } from '../schemas';

const CallbackView = z.object({
  sequence: z.number().int(),
  status: z.string().nullable().openapi({ description: 'the status it reports; null until its first attempt failed or it ended' }),
  outcome: z.enum(['pending', 'delivered', 'gave_up']).openapi({ description: 'pending: not yet acknowledged, still being retried' }),
  failed_attempts: z.number().int(),
  last_http_status: z.number().int().nullable(),
  last_error: z.string().nullable(),
  reason: z.string().nullable().openapi({ description: 'why it was given up' }),
  finished_at: z.string().nullable(),
});

/** What became of a message's status callbacks: for a caller asking "why did we not hear about it?". */
export function callbackRoutes(deps: { messages: MessageRepository; callbackLog: CallbackLogRepository }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });
  app.openapi(
    createRoute({
      ...callableBy('sender', 'viewer'),
      method: 'get',
      path: '/sms-status/{message_id}/callbacks',
      tags: ['notifications'],
      summary: "Status callbacks of one SMS and how each one's delivery went",
      security: [{ bearer: [] }],
      request: { params: MessageIdParam },
      responses: {
        200: json(z.object({ message_id: z.string(), callback_host: z.string().nullable(), callbacks: z.array(CallbackView) }), 'Callbacks, oldest first'),
        401: json(ErrorResponse, 'Token'),
        404: json(ErrorResponse, 'No such message'),
      },
    }),
    async (c) => {
      const message = readableMessage(await deps.messages.findById(c.req.valid('param').message_id), c.get('principal'));
      const count = message.callback_seq ?? 0;
      const rows = new Map((await deps.callbackLog.forMessage(message._id, count)).map((r) => [r.sequence, r]));
      const callbacks = Array.from({ length: count }, (_, i) => {
        const row = rows.get(i + 1);
        return {
          sequence: i + 1,
          status: row?.status ?? null,
          outcome: row?.outcome ?? ('pending' as const),
          failed_attempts: row?.failed_attempts ?? 0,
          last_http_status: row?.last_http_status ?? null,
          last_error: row?.last_error ?? null,
          reason: row?.reason ?? null,
          finished_at: row?.finished_at?.toISOString() ?? null,
        };
      });
      return c.json({ message_id: message._id, callback_host: message.callback ? new URL(message.callback.url).host : null, callbacks }, 200);
    },
  );
  return app;
}
