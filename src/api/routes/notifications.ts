import { OpenAPIHono, createRoute } from '@hono/zod-openapi';
import type { MessageRepository, SmsMessage } from '../../db/messages';
import { parseTaiwanPhone } from '../../domain/phone';
import { messageTypeForTemplate } from '../../domain/defaultTemplates';
import { TAIPEI_OFFSET_MS } from '../../domain/taipeiTime';
import { heldByQuietHours } from '../../domain/quietHours';
import type { SmsIntake } from '../../services/smsIntake';
import { senderFor } from '../sender';
import type { AuthEnv } from '../auth';
import type { CallbackUrlPolicy } from '../../domain/callbackUrls';
import { callbackFor } from '../callbackTarget';
import { ApiError } from '../../errors';
import { openApiHook } from '../openapi';
import { assertMaySendType } from '../messageTypes';
import { readableMessage } from '../ownership';
import { callableBy } from '../routeRoles';
import { ErrorResponse, IdempotencyHeaders, MessageIdParam, SendSmsAccepted, SendSmsRequest, SmsStatusResponse } from '../schemas';

const errors = {
  401: { description: 'Missing or invalid bearer token', content: { 'application/json': { schema: ErrorResponse } } },
  422: { description: 'Invalid input; `details` names each field', content: { 'application/json': { schema: ErrorResponse } } },
};

const sendSmsRoute = createRoute({
  method: 'post',
  path: '/send-sms',
  ...callableBy('sender'),
  tags: ['notifications'],
  summary: 'Queue one SMS (answers before any provider is called)',
  security: [{ bearer: [] }],
  request: { body: { content: { 'application/json': { schema: SendSmsRequest } }, required: true }, headers: IdempotencyHeaders },
  responses: {
    202: { description: 'Queued (or the earlier message for a repeated Idempotency-Key)', content: { 'application/json': { schema: SendSmsAccepted } } },
    409: {
      description: 'Idempotency-Key or reference reused with a different body',
      content: { 'application/json': { schema: ErrorResponse } },
    },
    503: {
      description:
        'The message store (MongoDB) is unreachable; retry after `Retry-After` seconds. A Temporal outage is not an error: the message is stored and started when Temporal is back.',
      content: { 'application/json': { schema: ErrorResponse } },
    },
    ...errors,
  },
});

const smsStatusRoute = createRoute({
  method: 'get',
  path: '/sms-status/{message_id}',
  ...callableBy('sender', 'viewer'),
  tags: ['notifications'],
  summary: 'Status, provider, attempts and events of one SMS',
  security: [{ bearer: [] }],
  request: { params: MessageIdParam },
  responses: {
    200: { description: 'The message', content: { 'application/json': { schema: SmsStatusResponse } } },
    404: { description: 'No such message', content: { 'application/json': { schema: ErrorResponse } } },
    ...errors,
  },
});

export function notificationRoutes(deps: { intake: SmsIntake; messages: MessageRepository; callbackPolicy: CallbackUrlPolicy }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  app.openapi(sendSmsRoute, async (c) => {
    const body = c.req.valid('json');
    const phoneResult = parseTaiwanPhone(body.phone);
    if (!phoneResult.ok) throw new ApiError(422, 'validation_failed', `phone: ${phoneResult.reason}`); // schema already checked
    const { phone } = phoneResult;
    const requested = body.scheduled_at ? new Date(body.scheduled_at) : undefined;
    const messageType = body.message_type ?? messageTypeForTemplate(body.template_code);
    assertMaySendType(c.get('principal'), messageType, body.message_type ? 'message_type' : 'template_code');
    const {
      message,
      replayed,
      warnings: policyWarnings,
    } = await deps.intake.accept({
      phone,
      content: body.template_code ? { templateCode: body.template_code, templateData: body.template_data } : { text: body.message ?? '' },
      messageType,
      metadata: body.metadata,
      principalId: c.get('principal').id,
      sentBy: senderFor(c.get('principal')),
      idempotencyKey: c.req.valid('header')['idempotency-key'],
      reference: body.reference,
      scheduledAt: requested,
      validUntil: body.valid_until ? new Date(body.valid_until) : undefined,
      callback: callbackFor(c.get('principal'), body.callback_url, deps.callbackPolicy),
    });
    const warnings = [
      ...policyWarnings,
      ...(movedByQuietHours(message, requested)
        ? [`marketing is not sent in quiet hours: scheduled for ${taipeiLocal(message.scheduled_at!)} Asia/Taipei`]
        : []),
      ...(message.segments > 1
        ? [`message is ${message.segments} segments (${message.encoding}); keep Chinese texts within 70 characters to pay for one`]
        : []),
      ...(phone.kind === 'landline' ? ['landline numbers usually cannot receive SMS'] : []),
    ];
    if (replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(
      {
        message_id: message._id,
        status: displayStatus(message),
        scheduled_at: iso(message.scheduled_at),
        valid_until: iso(message.valid_until),
        reference: message.reference ?? null,
        phone: message.phone_masked,
        message_type: message.message_type,
        encoding: message.encoding,
        segments: message.segments,
        characters: Array.from(message.body).length,
        template_code: message.template_code ?? null,
        template_version: message.template_version ?? null,
        variant: message.variant ?? null,
        created_at: message.created_at.toISOString(),
        warnings,
      },
      202,
    );
  });

  app.openapi(smsStatusRoute, async (c) => {
    const message = readableMessage(await deps.messages.findById(c.req.valid('param').message_id), c.get('principal'));
    return c.json(statusView(message), 200);
  });

  return app;
}

const iso = (d?: Date) => d?.toISOString() ?? null;
const taipeiLocal = (d: Date) => new Date(d.getTime() + TAIPEI_OFFSET_MS).toISOString().slice(0, 16).replace('T', ' ');

/** Held past the time asked for (or now): quiet hours moved it. */
const movedByQuietHours = (m: SmsMessage, requested?: Date) =>
  heldByQuietHours(m.message_type) && m.status === 'scheduled' && m.scheduled_at !== undefined && m.scheduled_at.getTime() > (requested?.getTime() ?? 0);

/**
 * Messages stored before `scheduled` was a status of its own were held for quiet hours as `queued` with a
 * Temporal start delay; they show as what they are.
 */
const isLegacyScheduled = (m: SmsMessage) => m.status === 'queued' && m.scheduled_at !== undefined && m.scheduled_at.getTime() > Date.now();
const displayStatus = (m: SmsMessage) => (isLegacyScheduled(m) ? 'scheduled' : m.status);

/** One message as sms-status, cancel and the lookup by reference show it. */
export function statusView(m: SmsMessage) {
  return {
    message_id: m._id,
    status: displayStatus(m),
    scheduled_at: iso(m.scheduled_at),
    valid_until: iso(m.valid_until),
    reference: m.reference ?? null,
    sent_by: m.sent_by ? { kind: m.sent_by.kind, id: m.sent_by.id, name: m.sent_by.name ?? null } : null,
    phone: m.phone_masked,
    message_type: m.message_type,
    provider: m.provider ?? null,
    provider_message_id: m.provider_message_id ?? null,
    provider_status: m.provider_status ?? null,
    error_code: m.error_code ?? null,
    encoding: m.encoding,
    segments: m.segments,
    cost: m.cost ?? null,
    attempts: [...m.attempts, ...(m.open_attempt ? [m.open_attempt] : [])].map((a) => ({
      provider: a.provider,
      attempt: a.attempt,
      started_at: a.started_at.toISOString(),
      finished_at: iso(a.finished_at),
      outcome: a.outcome ?? null,
      error_code: a.error_code ?? null,
      error_message: a.error_message ?? null,
      ambiguous: a.ambiguous ?? false,
    })),
    events: m.events.map((e) => ({ at: e.at.toISOString(), type: e.type, status: e.status ?? null, provider: e.provider ?? null })),
    created_at: m.created_at.toISOString(),
    sent_at: iso(m.sent_at),
    delivered_at: iso(m.delivered_at),
    finished_at: iso(m.finished_at),
  };
}
