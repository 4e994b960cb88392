import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { UUID_PATTERN } from '../../domain/idPatterns';
import type { MessageFilter, MessageLog } from '../../db/messageLog';
import type { SmsMessage } from '../../db/messages';
import type { RollupRepository } from '../../db/rollups';
import type { Entry } from '../../domain/lookupKeys';
import type { RollupCell } from '../../domain/rollups';
import { csvCell } from '../../domain/csv';
import type { AuditRepository } from '../../db/audit';
import type { BatchRepository } from '../../db/batches';
import { maskPhone, parseTaiwanPhone } from '../../domain/phone';
import type { RateLimiter } from '../../services/rateLimits';
import { MESSAGE_TYPES, PROVIDER_NAMES, SMS_STATUSES } from '../../domain/sms';
import { statsFromCells, type CellRow } from '../../domain/stats';
import { DAY_MS, isCalendarDate, taipeiDate, taipeiDatesBetween, taipeiDayStart } from '../../domain/taipeiTime';
import { ApiError } from '../../errors';
import type { AuthEnv, Principal } from '../auth';
import { validationError } from '../errors';
import { json, openApiHook } from '../openapi';
import { ownedBy, readableBatch } from '../ownership';
import { allow, callableBy } from '../routeRoles';
import { ErrorResponse } from '../schemas';

const date = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD (Asia/Taipei)')
  .refine(isCalendarDate, 'must be a real calendar date YYYY-MM-DD (Asia/Taipei)');
const instant = z.iso.datetime({ offset: true, message: 'must be an ISO date-time with a zone' });

const Filters = z.object({
  status: z.enum(SMS_STATUSES).optional(),
  provider: z.enum(PROVIDER_NAMES).optional(),
  message_type: z.enum(MESSAGE_TYPES).optional(),
  phone: z.string().max(32).optional().openapi({ description: 'any accepted format of the number' }),
  batch_id: z.string().regex(UUID_PATTERN, 'must be a batch id').optional(),
  template_code: z
    .string()
    .regex(/^[a-z0-9_]{1,64}$/, 'must be a template code')
    .optional(),
  order_id: z.string().min(1).max(100).optional().openapi({ description: "the caller's order reference (metadata.order_id)" }),
});
const LogQuery = Filters.extend({
  from: instant.optional(),
  to: instant.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
/** Rows one export may hold: it streams, but a filter matching a year of traffic should be narrowed by from/to. */
export const MAX_EXPORT_ROWS = 100_000;
const ExportQuery = Filters.extend({
  from: instant.optional(),
  to: instant.optional(),
  limit: z.coerce.number().int().min(1).max(MAX_EXPORT_ROWS).default(MAX_EXPORT_ROWS),
});
const StatsQuery = Filters.omit({ status: true, phone: true, template_code: true, order_id: true }).extend({
  start_date: date.optional(),
  end_date: date.optional(),
});

const errors = { 401: json(ErrorResponse, 'Token'), 403: json(ErrorResponse, 'Role'), 422: json(ErrorResponse, 'Invalid filter') };
const common = { tags: ['analytics'], security: [{ bearer: [] }] };
/** Longest stats range (three years, so the document's `start_date=2025-01-01` example still works): the rollups make any range cheap, this only bounds the answer's size. */
const MAX_STATS_DAYS = 1096;

/** Message log (cursor pages and CSV export) and statistics, for operators; reads lookup lists and rollups only. */
export interface LogRouteDeps {
  log: MessageLog;
  batches: BatchRepository;
  rollups: RollupRepository;
  rateLimiter: RateLimiter;
  audit: AuditRepository;
  phoneLookupsPerHour: number;
}

export function logRoutes({ log, batches, rollups, rateLimiter, audit, phoneLookupsPerHour }: LogRouteDeps) {
  /** A non-admin's search by number: counted against their hourly allowance (429 past it), then audited. */
  const guardPhoneLookup = async (principal: Principal, filter: MessageFilter, route: string) => {
    if (!filter.phoneE164 || principal.role === 'admin') return;
    await rateLimiter.admitPhoneLookup(principal.id, phoneLookupsPerHour);
    await audit.record({ actor: principal.id, action: 'sms_logs.phone_lookup', target: { type: 'phone', id: maskPhone(filter.phoneE164) }, after: { route } });
  };

  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/sms-logs',
      ...callableBy('sender', 'viewer'),
      summary: 'Messages newest first, with cursor paging (phones masked unless admin)',
      request: { query: LogQuery },
      responses: { 200: json(z.object({ items: z.array(z.record(z.string(), z.unknown())), next_cursor: z.string().nullable() }), 'A page'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const principal = c.get('principal');
      const filter = toFilter(q, principal);
      await guardPhoneLookup(principal, filter, 'sms-logs');
      const page = await log.page(filter, q.limit, q.cursor ? decodeCursor(q.cursor) : undefined);
      return c.json({ items: page.items.map((m) => logView(m, principal)), next_cursor: page.next ? encodeCursor(page.next) : null }, 200);
    },
  );

  app.get('/sms-logs/export.csv', allow('sender', 'viewer'), async (c) => {
    const parsed = ExportQuery.safeParse(c.req.query());
    if (!parsed.success) throw validationError(parsed.error, 'query');
    const principal = c.get('principal');
    const filter = toFilter(parsed.data, principal);
    await guardPhoneLookup(principal, filter, 'sms-logs/export.csv');
    const cursor = log.scan(filter);
    const encoder = new TextEncoder();
    let rows = 0;
    // Streamed row by row from the database cursor: an export of a year never sits in memory.
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => controller.enqueue(encoder.encode(`${CSV_COLUMNS.join(',')}\n`)),
      pull: async (controller) => {
        const { value: m, done } = rows < parsed.data.limit ? await cursor.next() : { value: undefined, done: true as const };
        if (done) {
          if (rows >= parsed.data.limit) void cursor.return(undefined);
          controller.close();
          return;
        }
        rows++;
        const view = logView(m, principal) as Record<string, unknown>;
        controller.enqueue(encoder.encode(`${CSV_COLUMNS.map((k) => csvCell(view[k])).join(',')}\n`));
      },
      cancel: () => void cursor.return(undefined),
    });
    return c.body(body, 200, {
      'content-type': 'text/csv; charset=utf-8',
      'content-disposition': 'attachment; filename="sms-logs.csv"',
      'x-export-row-limit': String(parsed.data.limit),
    });
  });

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/stats',
      ...callableBy('sender', 'viewer'),
      summary: 'Totals, rates, cost, latency and daily series (Asia/Taipei days; default the last 7)',
      request: { query: StatsQuery },
      responses: { 200: json(z.record(z.string(), z.unknown()), 'Statistics'), ...errors },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const end = q.end_date ?? taipeiDate(Date.now());
      const start = q.start_date ?? taipeiDate(taipeiDayStart(end).getTime() - 6 * DAY_MS);
      if (start > end)
        throw new ApiError(422, 'validation_failed', 'start_date: must not be after end_date', [
          { field: 'start_date', message: 'must not be after end_date' },
        ]);
      const dates = taipeiDatesBetween(start, end);
      if (dates.length > MAX_STATS_DAYS)
        throw new ApiError(422, 'validation_failed', `start_date: at most ${MAX_STATS_DAYS} days`, [
          { field: 'start_date', message: `at most ${MAX_STATS_DAYS} days before end_date` },
        ]);
      // A batch's figures only for whom may read the batch; the whole service's figures are totals that name nobody.
      if (q.batch_id && ownedBy(c.get('principal'))) readableBatch(await batches.get(q.batch_id), c.get('principal'));
      const cells = (q.batch_id ? await batchCells(rollups, q.batch_id) : await dayCells(rollups, dates)).filter(
        (r) => r.date >= start && r.date <= end && (!q.provider || r.provider === q.provider) && (!q.message_type || r.messageType === q.message_type),
      );
      return c.json({ start_date: start, end_date: end, timezone: 'Asia/Taipei', ...statsFromCells(cells) }, 200);
    },
  );

  return app;
}

/** Cells of the day rollups (keys `provider|type`): one point read per day of the range. */
async function dayCells(rollups: RollupRepository, dates: string[]): Promise<CellRow[]> {
  return (await rollups.days(dates)).flatMap((doc) => cellRows(doc.cells, (key) => [doc._id.slice('day|'.length), ...key.split('|')]));
}

/** Cells of one batch's rollup (keys `date|provider|type`). */
async function batchCells(rollups: RollupRepository, batchId: string): Promise<CellRow[]> {
  return cellRows((await rollups.batch(batchId))?.cells, (key) => key.split('|'));
}

function cellRows(cells: Record<string, RollupCell> | undefined, parts: (key: string) => string[]): CellRow[] {
  return Object.entries(cells ?? {}).map(([key, cell]) => {
    const [date, provider, messageType] = parts(key);
    return { date, provider, messageType, cell };
  });
}

/** The query as a filter; a sender's is narrowed to the messages it sent (api/ownership.ts). */
function toFilter(q: z.infer<typeof Filters> & { from?: string; to?: string }, principal: Principal): MessageFilter {
  let phoneE164: string | undefined;
  if (q.phone) {
    const parsed = parseTaiwanPhone(q.phone);
    if (!parsed.ok) throw new ApiError(422, 'validation_failed', `phone: ${parsed.reason}`, [{ field: 'phone', message: parsed.reason }]);
    phoneE164 = parsed.phone.e164;
  }
  if (q.from && q.to && Date.parse(q.from) > Date.parse(q.to))
    throw new ApiError(422, 'validation_failed', 'from: must not be after to', [{ field: 'from', message: 'must not be after to' }]);
  return {
    status: q.status,
    provider: q.provider,
    messageType: q.message_type,
    phoneE164,
    batchId: q.batch_id,
    templateCode: q.template_code,
    orderRef: q.order_id,
    sentBy: ownedBy(principal),
    from: q.from ? new Date(q.from) : undefined,
    to: q.to ? new Date(q.to) : undefined,
  };
}

const encodeCursor = (e: Entry) => Buffer.from(`${new Date(e.ms).toISOString()}|${e.id}`).toString('base64url');

function decodeCursor(cursor: string): Entry {
  const [iso, id] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const ms = new Date(iso).getTime();
  // An empty id is a slot boundary: a page that stopped between slots resumes before that slot.
  if (id === undefined || Number.isNaN(ms))
    throw new ApiError(422, 'validation_failed', 'cursor: not a cursor this API returned', [{ field: 'cursor', message: 'is not valid' }]);
  return { ms, id };
}

const CSV_COLUMNS = [
  'message_id',
  'created_at',
  'phone',
  'message_type',
  'status',
  'provider',
  'segments',
  'encoding',
  'cost',
  'batch_id',
  'template_code',
  'variant',
  'error_code',
  'sent_at',
  'delivered_at',
  'scheduled_at',
  'reference',
  'sent_by',
];

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
    scheduled_at: m.scheduled_at?.toISOString() ?? null,
    reference: m.reference ?? null,
    /** The sending API key's id (or `jwt:<sub>`); sms-status also shows its name. */
    sent_by: m.sent_by?.id ?? null,
  };
}
