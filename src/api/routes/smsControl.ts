import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { MessageRepository, SmsMessage } from '../../db/messages';
import { ApiError } from '../../errors';
import { messageIdForReference } from '../../services/messageIdentity';
import type { SmsCancellation } from '../../services/smsCancel';
import type { AuthEnv, Principal } from '../auth';
import { json, openApiHook } from '../openapi';
import { callableBy } from '../routeRoles';
import { ErrorResponse, MessageIdParam, Reference, SmsStatusResponse } from '../schemas';
import { statusView } from './notifications';

const common = { tags: ['notifications'], security: [{ bearer: [] }] };
const errors = {
  401: json(ErrorResponse, 'Missing or invalid bearer token'),
  403: json(ErrorResponse, 'Role, or not the sender of this message'),
  422: json(ErrorResponse, 'Invalid input; `details` names each field'),
};

/** Taking back a message before any provider has it, and finding a message by the caller's own reference. */
export function smsControlRoutes(deps: { messages: MessageRepository; cancellation: SmsCancellation }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/sms/{message_id}/cancel',
      // A sender cancels only its own messages (checked below); viewers never.
      ...callableBy('sender'),
      summary: 'Cancel a message no provider has been given yet (scheduled or queued)',
      request: { params: MessageIdParam },
      responses: {
        200: json(SmsStatusResponse, 'Cancelled: the message, now `cancelled`'),
        404: json(ErrorResponse, 'No such message'),
        409: json(ErrorResponse, 'Too late: a provider already has (or is being given) the message, or it has ended'),
        503: json(ErrorResponse, 'Temporal could not be reached; retry'),
        ...errors,
      },
    }),
    async (c) => {
      const message = await deps.messages.findById(c.req.valid('param').message_id);
      if (!message) throw new ApiError(404, 'not_found', 'No message with this id');
      assertMayCancel(c.get('principal'), message);
      return c.json(statusView(await deps.cancellation.cancel(message)), 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/sms',
      // References belong to the key that sent: viewers send nothing, so have nothing to find.
      ...callableBy('sender'),
      summary: 'The message you sent with this reference',
      request: { query: z.object({ reference: Reference }) },
      responses: { 200: json(SmsStatusResponse, 'The message'), 404: json(ErrorResponse, 'You sent no message with this reference'), ...errors },
    }),
    async (c) => {
      const { reference } = c.req.valid('query');
      // References are per API key: the id follows from the caller and the reference, one read by `_id`.
      const message = await deps.messages.findById(messageIdForReference(c.get('principal').id, reference));
      if (!message || message.reference !== reference) throw new ApiError(404, 'not_found', 'You sent no message with this reference');
      return c.json(statusView(message), 200);
    },
  );

  return app;
}

/** A message is cancelled by an admin or by the API key or user that sent it. */
function assertMayCancel(principal: Principal, message: SmsMessage): void {
  if (principal.role === 'admin' || message.sent_by?.id === principal.id) return;
  throw new ApiError(403, 'forbidden', 'Only an admin or the API key that sent this message may cancel it');
}
