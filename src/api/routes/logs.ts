import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import type { MessageFilter, MessageRepository, SmsMessage } from '../../db/messages';
import { parseTaiwanPhone } from '../../domain/phone';
import { MESSAGE_TYPES, PROVIDER_NAMES } from '../../domain/sms';
import { computeStats, type StatsRow } from '../../domain/stats';
import { ApiError } from '../../errors';
import type { AuthEnv, Principal } from '../auth';
import { validationError } from '../errors';
import { json, openApiHook } from '../openapi';
import { ErrorResponse } from '../schemas';

const STATUSES = ['queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'expired'] as const;
const date = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD (Asia/Taipei)');
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO date-time with a zone' });

const Filters = z.object({
  status: z.enum(STATUSES).optional(),
  provider: z.enum(PROVIDER_NAMES).optional(),
  message_type: z.enum(MESSAGE_TYPES).optional(),
  phone: z.string().max(32).optional().openapi({ description: 'any accepted format of the number' }),
  batch_id: z.string().regex(/^[0-9a-f-]{36}$/, 'must be a batch id').optional(),
});
const LogQuery = Filters.extend({
  from: instant.optional(),
  to: instant.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
const StatsQuery = Filters.omit({ status: true, phone: true }).extend({ start_date: date.optional(), end_date: date.optional() });

const errors = { 401: json(ErrorResponse, 'Token'), 403: json(ErrorResponse, 'Role'), 422: json(ErrorResponse, 'Invalid filter') };
const common = { tags: ['analytics'], security: [{ bearer: [] }] };
const DAY_MS = 24 * 3600_000;
const TAIPEI_OFFSET_MS = 8 * 3600_000;

/** Message log (cursor pages and CSV export) and statistics, for operators. */
export function logRoutes({ messages }: { messages: MessageRepository }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  app.openapi(
    createRoute({ ...common, method: 'get', path: '/sms-logs', summary: 'Messages newest first, with cursor paging (phones masked unless admin)', request: { query: LogQuery }, responses: { 200: json(z.object({ items: z.array(z.record(z.string(), z.unknown())), next_cursor: z.string().nullable() }), 'A page'), ...errors } }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await messages.logPage(toFilter(q), q.limit, q.cursor ? decodeCursor(q.cursor) : undefined);
      const last = rows.at(-1);
      const principal = c.get('principal');
      return c.json({ items: rows.map((m) => logView(m, principal)), next_cursor: rows.length === q.limit && last ? encodeCursor(last) : null }, 200);
    },
  );

  app.get('/sms-logs/export.csv', async (c) => {
    const parsed = LogQuery.omit({ limit: true, cursor: true }).safeParse(c.req.query());
    if (!parsed.success) throw validationError(parsed.error, 'query');
    const principal = c.get('principal');
    const cursor = messages.stream(toFilter(parsed.data));
    const encoder = new TextEncoder();
    // Streamed row by row from the database cursor: an export of a year never sits in memory.
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(encoder.encode(`${CSV_COLUMNS.join(',')}\n`)),
      pull: async (controller) => {
        const m = await cursor.next();
        if (!m) {
          controller.close();
          return;
        }
        const view = logView(m, principal) as Record<string, unknown>;
        controller.enqueue(encoder.encode(`${CSV_COLUMNS.map((k) => csvCell(view[k])).join(',')}\n`));
      },
      cancel: () => void cursor.close(),
    });
    return c.body(body, 200, { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="sms-logs.csv"' });
  });

  app.openapi(
    createRoute({ ...common, method: 'get', path: '/stats', summary: 'Totals, rates, cost, latency and daily series (Asia/Taipei days; default the last 7)', request: { query: StatsQuery }, responses: { 200: json(z.record(z.string(), z.unknown()), 'Statistics'), ...errors } }),
    async (c) => {
      const q = c.req.valid('query');
      const end = q.end_date ?? new Date(Date.now() + TAIPEI_OFFSET_MS).toISOString().slice(0, 10);
      const start = q.start_date ?? new Date(Date.parse(`${end}T00:00:00+08:00`) - 6 * DAY_MS + TAIPEI_OFFSET_MS).toISOString().slice(0, 10);
      const from = new Date(`${start}T00:00:00+08:00`);
      const to = new Date(Date.parse(`${end}T00:00:00+08:00`) + DAY_MS);
      if (from >= to) throw new ApiError(422, 'validation_failed', 'start_date: must not be after end_date', [{ field: 'start_date', message: 'must not be after end_date' }]);
      const rows: StatsRow[] = [];
      for await (const m of messages.stream({ provider: q.provider, messageType: q.message_type, batchId: q.batch_id, from, to })) rows.push(m);
      return c.json({ start_date: start, end_date: end, timezone: 'Asia/Taipei', ...computeStats(rows) }, 200);
    },
  );

  return app;
}

function toFilter(q: z.infer<typeof Filters> & { from?: string; to?: string }): MessageFilter {
  let phoneE164: string | undefined;
  if (q.phone) {
    const parsed = parseTaiwanPhone(q.phone);
    if (!parsed.ok) throw new ApiError(422, 'validation_failed', `phone: ${parsed.reason}`, [{ field: 'phone', message: parsed.reason }]);
    phoneE164 = parsed.phone.e164;
  }
  return {
    status: q.status,
    provider: q.provider,
    messageType: q.message_type,
    phoneE164,
    batchId: q.batch_id,
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
  };
}

const encodeCursor = (m: SmsMessage) => Buffer.from(`${m.created_at.toISOString()}|${m._id}`).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(iso);
  if (!id || Number.isNaN(createdAt.getTime())) throw new ApiError(422, 'validation_failed', 'cursor: not a cursor this API returned', [{ field: 'cursor', message: 'is not valid' }]);
  return { createdAt, id };
}

const CSV_COLUMNS = ['message_id', 'created_at', 'phone', 'message_type', 'status', 'provider', 'segments', 'encoding', 'cost', 'batch_id', 'template_code', 'variant', 'error_code', 'sent_at', 'delivered_at'];

/** Quotes a CSV cell; a leading = + - @ is neutralised so a spreadsheet never runs it as a formula. */
function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  let text = String(value);
  if (/^[=+\-@]/.test(text)) text = `'${text}`;
  return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function logView(m: SmsMessage, principal: Principal) {
  return {
    message_id: m._id,
    created_at: m.created_at.toISOString(),
    phone: principal.role === 'admin' ? m.phone_e164 : m.phone_masked,
    message_type: m.message_type,
    status: m.status,
    provider: m.provider ?? null,
    segments: m.segments,
    encoding: m.encoding,
    cost: m.cost ?? null,
    batch_id: m.batch_id ?? null,
    template_code: m.template_code ?? null,
    variant: m.variant ?? null,
    error_code: m.error_code ?? null,
    sent_at: m.sent_at?.toISOString() ?? null,
    delivered_at: m.delivered_at?.toISOString() ?? null,
  };
}
