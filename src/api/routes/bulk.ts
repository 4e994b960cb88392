import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { UUID_PATTERN } from '../../domain/idPatterns';
import { ServiceError, type Client } from '@temporalio/client';
import type { Repositories } from '../../db';
import { FINISHED_BATCH_STATUSES, type SmsBatch } from '../../db/batches';
import { assertMaySendType } from '../messageTypes';
import { ownedBy, readableBatch } from '../ownership';
import { isTimeOfDay } from '../../domain/quietHours';
import { batchCounts } from '../../domain/rollups';
import { MESSAGE_TYPES } from '../../domain/sms';
import { ApiError } from '../../errors';
import { DomainError } from '../../domain/errors';
import { reportRejections, type BulkIntake } from '../../services/bulkIntake';
import { signalBatchWorkflow } from '../../temporal/starts';
import { bulkWorkflowId, cancelSignal, pauseSignal, progressQuery, resumeSignal } from '../../workflows';
import type { AuthEnv, Principal } from '../auth';
import type { CallbackUrlPolicy } from '../../domain/callbackUrls';
import { CallbackUrlInput, callbackFor } from '../callbackTarget';
import { json, openApiHook } from '../openapi';
import { callableBy } from '../routeRoles';
import { sendWindowProblems } from '../../domain/sendWindow';
import { ErrorResponse, IdempotencyHeaders, MessageText, RecipientRows, TemplateCode } from '../schemas';

const errors = { 401: json(ErrorResponse, 'Token'), 403: json(ErrorResponse, 'Role'), 422: json(ErrorResponse, 'Invalid input') };
const common = { tags: ['bulk'], security: [{ bearer: [] }] };

const SendBulkRequest = z
  .strictObject({
    recipients: RecipientRows.min(1, 'must have at least one recipient').openapi({ description: 'each {phone, message?, template_data?}; up to 100 000' }),
    template_code: TemplateCode.optional(),
    message: MessageText.optional(),
    message_type: z.enum(MESSAGE_TYPES).default('general'),
    batch_name: z.string().trim().min(1).max(200),
    scheduled_at: z.iso.datetime({ offset: true, message: 'must be an ISO date-time with a zone' }).optional(),
    respect_quiet_hours: z.boolean().default(false),
    callback_url: CallbackUrlInput,
  })
  .refine((b) => !(b.template_code && b.message), { path: ['template_code'], message: 'give either message or template_code, not both' })
  // The same window as a single send's: in the future, at most 30 days ahead (a malformed time has its own issue).
  .superRefine((b, ctx) => {
    const scheduledAt = b.scheduled_at === undefined || Number.isNaN(Date.parse(b.scheduled_at)) ? undefined : new Date(b.scheduled_at);
    for (const problem of sendWindowProblems({ scheduledAt })) ctx.addIssue({ code: 'custom', path: [problem.field], message: problem.message });
  })
  .openapi('SendBulkSms');

const BatchParam = z.object({
  batch_id: z
    .string()
    .regex(UUID_PATTERN, 'must be a batch id')
    .openapi({ param: { name: 'batch_id', in: 'path' } }),
});
const QuietHours = z
  .strictObject({
    windows: z
      .array(
        z.strictObject({
          start: z.string().refine(isTimeOfDay, 'must be HH:MM or HH:MM:SS'),
          end: z.string().refine(isTimeOfDay, 'must be HH:MM or HH:MM:SS'),
        }),
      )
      .max(10),
  })
  .openapi('QuietHours');

export function bulkRoutes(deps: {
  intake: BulkIntake;
  repos: Repositories;
  temporal: Client;
  defaultQuietHours: { start: string; end: string }[];
  callbackPolicy: CallbackUrlPolicy;
}) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });
  const { repos } = deps;

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/send-bulk-sms',
      ...callableBy('sender'),
      summary: 'Queue a batch (recipients validated up front; rejected rows reported, duplicates sent once)',
      request: { body: { content: { 'application/json': { schema: SendBulkRequest } }, required: true }, headers: IdempotencyHeaders },
      responses: {
        202: json(
          z.object({
            batch_id: z.string(),
            status: z.string(),
            accepted: z.number(),
            rejected: z.array(z.object({ index: z.number(), phone: z.string(), reason: z.string() })).openapi({ description: 'the first 1 000 rejected rows' }),
            rejected_count: z.number(),
            rejected_omitted: z.number().openapi({ description: 'rejected rows past the first 1 000, not listed' }),
            scheduled_at: z.string().nullable(),
          }),
          'Queued (or the batch stored before, for a repeated Idempotency-Key)',
        ),
        409: json(ErrorResponse, 'Idempotency-Key reused with a different body, or its first request is still being stored'),
        413: json(ErrorResponse, 'Too many recipients or too large'),
        ...errors,
      },
    }),
    async (c) => {
      const body = c.req.valid('json');
      assertMaySendType(c.get('principal'), body.message_type);
      const { batch, rejected } = await deps.intake.accept({
        idempotencyKey: c.req.valid('header')['idempotency-key'],
        recipients: body.recipients,
        templateCode: body.template_code,
        message: body.message,
        messageType: body.message_type,
        batchName: body.batch_name,
        scheduledAt: body.scheduled_at ? new Date(body.scheduled_at) : undefined,
        respectQuietHours: body.respect_quiet_hours,
        principalId: c.get('principal').id,
        callback: callbackFor(c.get('principal'), body.callback_url, deps.callbackPolicy),
      });
      return c.json(
        {
          batch_id: batch._id,
          status: batch.status,
          accepted: batch.total,
          ...reportRejections(rejected, batch.rejected),
          scheduled_at: batch.scheduled_at?.toISOString() ?? null,
        },
        202,
      );
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/batches',
      ...callableBy('sender', 'viewer'),
      summary: 'Batches, newest first',
      request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) }) },
      responses: { 200: json(z.object({ batches: z.array(z.record(z.string(), z.unknown())) }), 'Batches'), ...errors },
    }),
    async (c) => {
      const batches = await repos.batches.list(c.req.valid('query').limit, ownedBy(c.get('principal')));
      return c.json({ batches: batches.map(batchView) }, 200);
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/batches/{batch_id}',
      ...callableBy('sender', 'viewer'),
      summary: 'A batch with counts by status and live progress',
      request: { params: BatchParam },
      responses: { 200: json(z.record(z.string(), z.unknown()), 'The batch'), 404: json(ErrorResponse, 'No such batch'), ...errors },
    }),
    async (c) => {
      const batch = await loadBatch(c.req.valid('param').batch_id, c.get('principal'));
      const counts = batchCounts(await repos.rollups.batch(batch._id));
      const progress = await deps.temporal.workflow
        .getHandle(bulkWorkflowId(batch._id))
        .query(progressQuery)
        .catch(() => null);
      return c.json({ ...batchView(batch), rejections: batch.rejections ?? [], counts, progress }, 200);
    },
  );

  for (const [action, signal] of [
    ['pause', pauseSignal],
    ['resume', resumeSignal],
    ['cancel', cancelSignal],
  ] as const) {
    app.openapi(
      createRoute({
        ...common,
        method: 'post',
        path: `/batches/{batch_id}/${action}`,
        ...callableBy('sender'),
        summary: `${action[0].toUpperCase()}${action.slice(1)} a batch`,
        request: { params: BatchParam },
        responses: {
          202: json(z.object({ batch_id: z.string(), requested: z.string() }), 'Signalled'),
          404: json(ErrorResponse, 'No such batch'),
          409: json(ErrorResponse, 'Batch already finished'),
          ...errors,
        },
      }),
      async (c) => {
        const batch = await loadBatch(c.req.valid('param').batch_id, c.get('principal'));
        assertMayControl(c.get('principal'), batch);
        if (FINISHED_BATCH_STATUSES.includes(batch.status)) throw new ApiError(409, 'batch_finished', `The batch is already ${batch.status}`);
        const signalled = await signalBatchWorkflow(deps.temporal, batch, signal).catch((err) => {
          if (!(err instanceof ServiceError)) throw err;
          throw new DomainError('unavailable', 'temporal_unavailable', 'The batch could not be reached right now; retry shortly', undefined, 5);
        });
        if (signalled === 'finished') throw new ApiError(409, 'batch_finished', 'The batch has already finished');
        await repos.audit.record({ actor: c.get('principal').id, action: `batch.${action}`, target: { type: 'batch', id: batch._id } });
        return c.json({ batch_id: batch._id, requested: action }, 202);
      },
    );
  }

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/settings/quiet-hours',
      summary: 'Quiet hours (Asia/Taipei) for marketing',
      responses: { 200: json(QuietHours, 'Windows'), ...errors },
    }),
    async (c) => c.json({ windows: await repos.settings.quietHours(deps.defaultQuietHours) }, 200),
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'put',
      path: '/settings/quiet-hours',
      summary: 'Change quiet hours (admin); running batches follow within minutes',
      request: { body: { content: { 'application/json': { schema: QuietHours } }, required: true } },
      responses: { 200: json(QuietHours, 'Windows'), ...errors },
    }),
    async (c) => {
      const before = await repos.settings.quietHours(deps.defaultQuietHours);
      const { windows } = c.req.valid('json');
      await repos.settings.setQuietHours(windows, c.get('principal').id);
      await repos.audit.record({
        actor: c.get('principal').id,
        action: 'settings.quiet_hours_updated',
        target: { type: 'settings', id: 'quiet_hours' },
        before,
        after: windows,
      });
      return c.json({ windows }, 200);
    },
  );

  const loadBatch = async (id: string, principal: Principal): Promise<SmsBatch> => readableBatch(await repos.batches.get(id), principal);

  return app;
}

/** Pausing, resuming or cancelling a batch is for admins and the key that created it (campaign runs: admins only). */
function assertMayControl(principal: Principal, batch: SmsBatch): void {
  if (principal.role === 'admin' || principal.id === batch.created_by) return;
  throw new ApiError(403, 'forbidden', 'Only an admin or the key that created this batch may pause, resume or cancel it');
}

function batchView(b: SmsBatch) {
  return {
    batch_id: b._id,
    name: b.name,
    status: b.status,
    message_type: b.message_type,
    template_code: b.template_code ?? null,
    total: b.total,
    rejected: b.rejected,
    respect_quiet_hours: b.respect_quiet_hours,
    scheduled_at: b.scheduled_at?.toISOString() ?? null,
    campaign_id: b.campaign_id ?? null,
    created_at: b.created_at.toISOString(),
    started_at: b.started_at?.toISOString() ?? null,
    finished_at: b.finished_at?.toISOString() ?? null,
  };
}
