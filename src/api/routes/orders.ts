import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { MessageRepository } from '../../db/messages';
import { ORDER_EVENTS, ORDER_ID_PATTERN, TEMPLATE_FOR_EVENT } from '../../domain/orderEvents';
import { parseTaiwanPhone } from '../../domain/phone';
import { DAY_MS } from '../../domain/taipeiTime';
import { ApiError } from '../../errors';
import { callableBy } from '../routeRoles';
import type { OrderNotifications } from '../../services/orderNotifications';
import { type OrderTimeline, recallState } from '../../workflows/orderNotifications';
import type { AuthEnv, Principal } from '../auth';
import { json, openApiHook } from '../openapi';
import { ErrorResponse, PhoneInput, TemplateData } from '../schemas';
import { messageTypeForTemplate } from '../../domain/defaultTemplates';
import { assertMaySendType } from '../messageTypes';
import { ownedBy, readableOrder } from '../ownership';

/** Clocks of the order system and ours may differ a little; an event further in the future is a mistake. */
const MAX_CLOCK_SKEW_MS = 5 * 60_000;

const OrderId = z.string().regex(ORDER_ID_PATTERN, 'must be 1-64 letters, digits, ., _, : or -, starting with a letter or digit');

const OrderEventRequest = z
  .strictObject({
    order_id: OrderId.openapi({ example: 'ORD-20261125-001' }),
    phone: PhoneInput,
    event: z.enum(ORDER_EVENTS).openapi({ description: 'what happened to the order' }),
    occurred_at: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone' }).openapi({ example: '2026-11-25T14:00:00+08:00' }),
    data: TemplateData.default({}).openapi({
      description:
        "template data for the event's text (order_number, delivery_time, driver_name, eta, amount); `due_at` (ISO 8601) on payment_due: when to remind if still unpaid",
      example: { order_number: 'ORD-20261125-001', delivery_time: '今天下午2點' },
    }),
  })
  .openapi('OrderEventRequest');

const OrderEventAccepted = z
  .object({
    order_id: z.string(),
    event_id: z.string(),
    event: z.enum(ORDER_EVENTS),
    decision: z.enum(['applied', 'ignored']),
    reason: z.string().nullable().openapi({ description: 'why ignored: duplicate, superseded, stale, order_cancelled, already_paid' }),
    text: z.string().nullable().openapi({ description: 'the template this event texts, when applied' }),
    send_at: z.string().nullable().openapi({ description: 'when that text goes, if later (a payment reminder)' }),
  })
  .openapi('OrderEventAccepted');

const OrderTimelineResponse = z
  .object({
    order_id: z.string(),
    state: z.enum(['open', 'settled', 'cancelled', 'closed']),
    step: z.string().nullable(),
    paid: z.boolean(),
    events: z.array(
      z.object({
        event_id: z.string(),
        event: z.string(),
        occurred_at: z.string(),
        received_at: z.string(),
        decision: z.enum(['applied', 'ignored']),
        reason: z.string().nullable(),
      }),
    ),
    events_dropped: z.number().int(),
    texts: z.array(
      z.object({
        event: z.string(),
        template_code: z.string(),
        state: z.enum(['scheduled', 'queued', 'sending', 'accepted', 'failed', 'cancelled']),
        send_at: z.string().nullable(),
        message_id: z.string().nullable(),
        message_status: z.string().nullable().openapi({ description: "the message's status now (as sms-status shows it)" }),
        reason: z.string().nullable(),
        recall: z.enum(['pending', 'too_late']).nullable().openapi({
          description:
            'a handed-over text that a later event made wrong (`paid`, `cancelled`) is asked back: `pending` while its message is asked to cancel, `too_late` when a provider already had it (it then stays `accepted`); a text taken back in time is `cancelled`',
        }),
      }),
    ),
  })
  .openapi('OrderTimeline');

const errors = {
  401: json(ErrorResponse, 'Missing or invalid bearer token'),
  403: json(ErrorResponse, "The key's role may not do this"),
  422: json(ErrorResponse, 'Invalid input; `details` names each field'),
  503: json(ErrorResponse, 'The order workflow or the store is unreachable; retry after `Retry-After` seconds (a retry never texts twice)'),
};

const postRoute = createRoute({
  ...callableBy('sender'),
  method: 'post',
  path: '/order-events',
  tags: ['orders'],
  summary: "Tell the order's workflow what happened; it decides which text (if any) goes",
  security: [{ bearer: [] }],
  request: { body: { content: { 'application/json': { schema: OrderEventRequest } }, required: true } },
  responses: {
    200: json(OrderEventAccepted, 'What the order workflow decided'),
    409: json(
      ErrorResponse,
      '`order_closed`: the order is closed (its workflow ended after the order settled); `order_id_taken`: another API key posted this order first and owns it. Nothing was sent',
    ),
    ...errors,
  },
});

const timelineRoute = createRoute({
  ...callableBy('sender', 'viewer'),
  method: 'get',
  path: '/orders/{order_id}',
  tags: ['orders'],
  summary: "An order's timeline: events received (applied or ignored, and why) and texts with their message status",
  security: [{ bearer: [] }],
  request: { params: z.object({ order_id: OrderId.openapi({ param: { name: 'order_id', in: 'path' } }) }) },
  responses: { 200: json(OrderTimelineResponse, 'The timeline'), 404: json(ErrorResponse, 'No workflow for this order'), ...errors },
});

export function orderRoutes(deps: { orders: OrderNotifications; messages: MessageRepository }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  app.openapi(postRoute, async (c) => {
    const body = c.req.valid('json');
    const parsed = parseTaiwanPhone(body.phone);
    if (!parsed.ok) throw new ApiError(422, 'validation_failed', `phone: ${parsed.reason}`); // schema already checked
    const occurredAt = new Date(body.occurred_at);
    if (occurredAt.getTime() > Date.now() + MAX_CLOCK_SKEW_MS) throw invalid('occurred_at', 'is in the future');
    // An event that texts needs its text's type; one that texts nothing (cancelled, paid) still takes texts back or
    // stops reminders, so it needs every type the order's texts have: the order system's key.
    const texts = TEMPLATE_FOR_EVENT[body.event];
    for (const type of texts ? [messageTypeForTemplate(texts)] : ORDER_TEXT_TYPES) assertMaySendType(c.get('principal'), type, 'event');
    const dueAt = body.event === 'payment_due' ? dueAtOf(body.data.due_at) : undefined;
    const decided = await deps.orders.post({
      orderId: body.order_id,
      phone: parsed.phone,
      event: body.event,
      occurredAt,
      data: body.data,
      ...(dueAt ? { dueAt } : {}),
      principalId: c.get('principal').id,
      ...postedAs(c.get('principal')),
    });
    return c.json(
      {
        order_id: body.order_id,
        event_id: decided.eventId,
        event: body.event,
        decision: decided.decision,
        reason: decided.reason ?? null,
        text: decided.text ?? null,
        send_at: decided.sendAt ?? null,
      },
      200,
    );
  });

  app.openapi(timelineRoute, async (c) => {
    const orderId = c.req.valid('param').order_id;
    const timeline = readableOrder(await deps.orders.timeline(orderId), c.get('principal'));
    return c.json(await timelineView(timeline, deps.messages), 200);
  });

  return app;
}

/** A sender key posts as itself (the first one owns the order); admins post for anyone. */
function postedAs(principal: Principal): { sender?: string } {
  const owner = ownedBy(principal);
  return owner === undefined ? {} : { sender: owner };
}

/** The message types an order's texts have. */
const ORDER_TEXT_TYPES = [...new Set(Object.values(TEMPLATE_FOR_EVENT).map((code) => messageTypeForTemplate(code)))];

const MAX_DUE_AHEAD_DAYS = 366;
const MAX_DUE_AHEAD_MS = MAX_DUE_AHEAD_DAYS * DAY_MS;

const invalid = (field: string, message: string) => new ApiError(422, 'validation_failed', `${field}: ${message}`, [{ field, message }]);

function dueAtOf(value: string | number | undefined): Date | undefined {
  if (value === undefined) return undefined;
  const ok = typeof value === 'string' && z.iso.datetime({ offset: true }).safeParse(value).success;
  if (!ok) throw invalid('data.due_at', 'must be an ISO 8601 date-time with a time zone');
  // The order's workflow stays open until then: a reminder a year out is the longest that makes sense.
  if (Date.parse(value) > Date.now() + MAX_DUE_AHEAD_MS) throw invalid('data.due_at', `must be at most ${MAX_DUE_AHEAD_DAYS} days ahead`);
  return new Date(value);
}

/** The workflow's timeline with each text's message status read now (a handful of point reads). */
async function timelineView(t: OrderTimeline, messages: MessageRepository) {
  const texts = await Promise.all(
    t.texts.map(async (text) => {
      const message = text.messageId ? await messages.findById(text.messageId) : null;
      return {
        event: text.event,
        template_code: text.templateCode,
        state: text.state,
        send_at: text.sendAt ?? null,
        message_id: text.messageId ?? null,
        message_status: message?.status ?? null,
        reason: text.reason ?? null,
        recall: recallState(text) ?? null,
      };
    }),
  );
  return {
    order_id: t.orderId,
    state: t.state,
    step: t.step,
    paid: t.paid,
    events: t.events.map((e) => ({
      event_id: e.eventId,
      event: e.event,
      occurred_at: e.occurredAt,
      received_at: e.receivedAt,
      decision: e.decision,
      reason: e.reason ?? null,
    })),
    events_dropped: t.eventsDropped,
    texts,
  };
}
