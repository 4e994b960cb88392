import { z } from '@hono/zod-openapi';
import { parseTaiwanPhone } from '../domain/phone';
import { templateDataSchema } from '../domain/templateData';
import { CallbackUrlInput } from './callbackTarget';
import { CONTROL_CHARS, MAX_MESSAGE_CHARS, MESSAGE_ID_PATTERN, MESSAGE_TYPES, PROVIDER_NAMES, SMS_STATUSES } from '../domain/sms';
import { MAX_SCHEDULE_AHEAD_DAYS, sendWindowProblems } from '../domain/sendWindow';

export const PhoneInput = z
  .string()
  .max(32)
  .superRefine((value, ctx) => {
    const parsed = parseTaiwanPhone(value);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.reason });
  })
  .openapi({ example: '0912345678', description: 'Taiwan mobile or landline: 0912345678, 0912-345-678, +886912345678, 886912345678' });

export const MessageText = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((s) => Array.from(s).length <= MAX_MESSAGE_CHARS, `must be at most ${MAX_MESSAGE_CHARS} characters`)
  .refine((s) => !CONTROL_CHARS.test(s), 'must not contain control characters other than line breaks')
  .openapi({ example: '【幸福氣】您的訂單已確認，司機將於30分鐘內送達。' });

/** Flat, small and free of `$`/`.` keys: stored as given, so nothing in it can act as a query operator. */
export const Metadata = z
  .record(
    z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'keys must be 1-64 letters, digits, _ or -'),
    z.union([z.string().max(500), z.number(), z.boolean(), z.null()]),
  )
  .refine((m) => Object.keys(m).length <= 20, 'must have at most 20 keys')
  .openapi({ example: { order_id: 'ORD-20261125-001', customer_id: 'C12345' } });

export const TemplateCode = z
  .string()
  .regex(/^[a-z][a-z0-9_]{1,63}$/, 'must be 2-64 lowercase letters, digits or _, starting with a letter')
  .openapi({ example: 'delivery_on_way' });

/** Values inserted into a template: the shared rule of `src/domain/templateData.ts`. */
export const TemplateData = templateDataSchema.meta({ example: { driver_name: '王大明', eta: '30' } });

const Instant = z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a zone, e.g. 2026-12-01T09:00:00+08:00' });

/** The caller's own id for a message: unique per API key, so a repeat returns the same message. */
export const Reference = z
  .string()
  .min(1, 'must not be empty')
  .refine((s) => Array.from(s).length <= 64, 'must be at most 64 characters')
  .refine((s) => !CONTROL_CHARS.test(s) && !s.includes('\n'), 'must not contain control characters')
  .refine((s) => s.trim() === s, 'must not start or end with spaces')
  .openapi({ example: 'ORD-20261125-001:confirmed' });

export const SendSmsRequest = z
  .strictObject({
    phone: PhoneInput,
    message: MessageText.optional(),
    template_code: TemplateCode.optional(),
    template_data: TemplateData.default({}),
    message_type: z
      .enum(MESSAGE_TYPES)
      .optional()
      .openapi({ description: "default: a default template's own type (e.g. delivery_on_way → delivery_notification), else general" }),
    metadata: Metadata.default({}),
    scheduled_at: Instant.optional().openapi({
      description: `send at this time instead of now (held durably, status \`scheduled\`); in the future, at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead`,
      example: '2026-12-01T09:00:00+08:00',
    }),
    valid_until: Instant.optional().openapi({
      description: 'never hand the message to a provider at or after this time: it becomes `expired` instead; after scheduled_at (or now)',
    }),
    reference: Reference.optional().openapi({
      description: 'your own id for this message, 1-64 characters, unique per API key: a repeat returns the same message (like Idempotency-Key)',
    }),
    callback_url: CallbackUrlInput,
  })
  .superRefine((body, ctx) => {
    // Only times that parsed: a malformed one already has its own issue.
    const instant = (v?: string) => (v !== undefined && Instant.safeParse(v).success ? new Date(v) : undefined);
    const window = { scheduledAt: instant(body.scheduled_at), validUntil: instant(body.valid_until) };
    for (const problem of sendWindowProblems(window)) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
    if (body.message === undefined && body.template_code === undefined)
      ctx.addIssue({ code: 'custom', path: ['message'], message: 'is required unless template_code is given' });
    if (body.message !== undefined && body.template_code !== undefined)
      ctx.addIssue({ code: 'custom', path: ['template_code'], message: 'give either message or template_code, not both' });
  })
  .openapi('SendSmsRequest');

/** Deeper than any recipient row can be ({ phone, template_data: { key: value } } is 2 levels). */
const MAX_ROW_DEPTH = 8;

/** Whether `value` nests objects or arrays at most `max` levels deep; iterative, so no input can exhaust the stack. */
function nestedWithin(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    if (depth >= max) return false;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return true;
}

/**
 * A bulk or campaign list. Each row's own fields are checked row by row when the list is screened (a bad row is a
 * rejected row); here only its depth, since a keyed request's fingerprint serialises the rows before screening.
 */
export const RecipientRows = z.array(
  z.unknown().refine((row) => nestedWithin(row, MAX_ROW_DEPTH), `must be an object nested at most ${MAX_ROW_DEPTH} levels deep`),
);

export const IdempotencyHeaders = z.object({
  'idempotency-key': z
    .string()
    .regex(/^[\x21-\x7E]{1,255}$/, 'must be 1-255 printable ASCII characters')
    .optional()
    .openapi({ description: 'Repeat a request with the same key to get the same message (or batch) instead of sending again' }),
});

export const SendSmsAccepted = z
  .object({
    message_id: z.string(),
    status: z.string().openapi({ description: '`queued`, or `scheduled` when held until `scheduled_at` (asked for, or the end of quiet hours for marketing)' }),
    scheduled_at: z.string().nullable().openapi({ description: 'when a scheduled message will be sent' }),
    valid_until: z.string().nullable(),
    reference: z.string().nullable(),
    phone: z.string().openapi({ description: 'masked', example: '0912***678' }),
    message_type: z.enum(MESSAGE_TYPES),
    encoding: z.enum(['GSM-7', 'UCS-2']),
    segments: z.number().int(),
    characters: z.number().int(),
    created_at: z.string(),
    template_code: z.string().nullable(),
    template_version: z.number().int().nullable(),
    variant: z.string().nullable(),
    warnings: z.array(z.string()),
  })
  .openapi('SendSmsAccepted');

export const MessageIdParam = z.object({
  message_id: z
    .string()
    .regex(MESSAGE_ID_PATTERN, 'must be a message id')
    .openapi({ param: { name: 'message_id', in: 'path' } }),
});

const Attempt = z.object({
  provider: z.enum(PROVIDER_NAMES),
  attempt: z.number().int(),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  outcome: z.enum(['accepted', 'error']).nullable(),
  error_code: z.string().nullable(),
  error_message: z.string().nullable(),
  ambiguous: z.boolean(),
});

export const SentByView = z
  .object({ kind: z.enum(['api_key', 'user', 'campaign']), id: z.string(), name: z.string().nullable() })
  .nullable()
  .openapi({ description: 'the API key (id and name, never the secret) or user that sent the message; null for messages from before it was recorded' });

export const SmsStatusResponse = z
  .object({
    message_id: z.string(),
    status: z.enum(SMS_STATUSES),
    scheduled_at: z.string().nullable(),
    valid_until: z.string().nullable(),
    reference: z.string().nullable(),
    sent_by: SentByView,
    phone: z.string(),
    message_type: z.enum(MESSAGE_TYPES),
    provider: z.enum(PROVIDER_NAMES).nullable(),
    provider_message_id: z.string().nullable(),
    provider_status: z.string().nullable(),
    error_code: z.string().nullable(),
    encoding: z.enum(['GSM-7', 'UCS-2']),
    segments: z.number().int(),
    cost: z.number().nullable(),
    attempts: z.array(Attempt),
    events: z.array(z.object({ at: z.string(), type: z.string(), status: z.string().nullable(), provider: z.string().nullable() })),
    created_at: z.string(),
    sent_at: z.string().nullable(),
    delivered_at: z.string().nullable(),
    finished_at: z.string().nullable(),
  })
  .openapi('SmsStatus');

export const ErrorResponse = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');
