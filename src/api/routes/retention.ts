import { OpenAPIHono, createRoute, z } from '@hono/zod-openapi';
import { ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { Repositories } from '../../db';
import { dayOf } from '../../domain/lookupKeys';
import { FIRST_RUN_LOOKBACK_DAYS, RETENTION_SCHEDULE_ID, retentionCutoff } from '../../domain/retention';
import { DAY_MS } from '../../domain/taipeiTime';
import { ApiError } from '../../errors';
import { RETENTION_TIME } from '../../temporal/retentionSchedule';
import type { AuthEnv } from '../auth';
import { json, openApiHook } from '../openapi';
import { ErrorResponse } from '../schemas';

const common = { tags: ['admin'], security: [{ bearer: [] }] };
const errors = { 401: json(ErrorResponse, 'Token'), 403: json(ErrorResponse, 'Admins only') };

const RunRequest = z
  .strictObject({
    from_date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date YYYY-MM-DD')
      .optional()
      .openapi({ description: 'Walk again from this UTC day (e.g. after importing old history); default: where the last run stopped' }),
  })
  .openapi('RetentionRun');

const isoDay = (day: string | undefined) => (day ? `${day.slice(0, 4)}-${day.slice(4, 6)}-${day.slice(6, 8)}` : null);

/** Retention policy and progress, and an admin's "purge now" (admin only: no roles declared, see api/routeRoles). */
export function retentionRoutes({ repos, temporal, retentionDays }: { repos: Repositories; temporal: Client; retentionDays: number }) {
  const app = new OpenAPIHono<AuthEnv>({ defaultHook: openApiHook });

  app.openapi(
    createRoute({
      ...common,
      method: 'get',
      path: '/',
      summary: 'Retention policy, progress and last run',
      responses: { 200: json(z.record(z.string(), z.unknown()), 'Policy'), ...errors },
    }),
    async (c) => {
      const [state, schedule] = await Promise.all([repos.retention.state(), temporal.schedule.getHandle(RETENTION_SCHEDULE_ID).describe()]);
      const cutoff = retentionCutoff(Date.now(), retentionDays);
      return c.json(
        {
          retention_days: retentionDays,
          purges:
            'message text, full phone numbers, metadata other than order_id, lookup lists, webhook receipts, batch recipients; figures (rollups) are kept',
          cutoff: new Date(cutoff).toISOString(),
          schedule: {
            time: `${String(RETENTION_TIME.hour).padStart(2, '0')}:${String(RETENTION_TIME.minute).padStart(2, '0')}`,
            timezone: RETENTION_TIME.timezone,
            paused: schedule.state.paused,
          },
          running: schedule.info.runningActions.length > 0,
          purged_before_date: isoDay(state?.watermark_day),
          last_run: state?.last_run ? { at: state.last_run.at.toISOString(), ...state.last_run.counts } : null,
        },
        200,
      );
    },
  );

  app.openapi(
    createRoute({
      ...common,
      method: 'post',
      path: '/run',
      summary: 'Run the retention purge now (after the current run, if one is going)',
      request: { body: { content: { 'application/json': { schema: RunRequest } }, required: false } },
      responses: {
        202: json(z.object({ triggered: z.boolean(), from_date: z.string().nullable() }), 'Triggered'),
        409: json(ErrorResponse, 'A run is in progress'),
        ...errors,
      },
    }),
    async (c) => {
      const fromDate = (c.req.valid('json') as z.infer<typeof RunRequest> | undefined)?.from_date;
      const handle = temporal.schedule.getHandle(RETENTION_SCHEDULE_ID);
      if (fromDate) {
        // A running walk stores its own watermark as it goes and would overwrite the rewind.
        if ((await handle.describe()).info.runningActions.length > 0)
          throw new ApiError(409, 'conflict', 'A retention run is in progress; rewind after it ends');
        const day = fromDate.replace(/-/g, '');
        const ms = Date.parse(`${fromDate}T00:00:00Z`);
        if (Number.isNaN(ms) || dayOf(ms) !== day)
          throw new ApiError(422, 'validation_failed', 'from_date is not a calendar date', [{ field: 'from_date', message: 'is not a calendar date' }]);
        // Only back: the walk goes forward from the watermark, so a later day would leave the days between unpurged.
        const cutoff = retentionCutoff(Date.now(), retentionDays);
        // Before any run, the first walks from FIRST_RUN_LOOKBACK_DAYS before the cutoff (activities/retention.ts).
        const latest = (await repos.retention.state())?.watermark_day ?? dayOf(cutoff - FIRST_RUN_LOOKBACK_DAYS * DAY_MS);
        if (day > latest) {
          const problem = `must not be after ${isoDay(latest)}, where the purge stands (a later day would skip the days in between)`;
          throw new ApiError(422, 'validation_failed', `from_date ${problem}`, [{ field: 'from_date', message: problem }]);
        }
        await repos.retention.setWatermark(day);
      }
      // BUFFER_ONE: asked during a run, the purge runs once more right after it instead of being dropped.
      await handle.trigger(ScheduleOverlapPolicy.BUFFER_ONE);
      await repos.audit.record({
        actor: c.get('principal').id,
        action: 'retention.triggered',
        target: { type: 'retention', id: RETENTION_SCHEDULE_ID },
        after: { from_date: fromDate ?? null },
      });
      return c.json({ triggered: true, from_date: fromDate ?? null }, 202);
    },
  );

  return app;
}
