import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client, type ScheduleOptions } from '@temporalio/client';
import { SMS_TASK_QUEUE } from '../domain/sms';

/**
 * Creates a schedule that starts `workflowType` on `sms` once; later starts leave it (and an operator's pause or
 * edit) alone. A run still going when the next is due simply continues (overlap SKIP): none of ours may run twice.
 */
export async function ensureSchedule(
  client: Client,
  scheduleId: string,
  spec: ScheduleOptions['spec'],
  workflowType: string | ((...args: never[]) => Promise<unknown>),
  args: unknown[] = [],
): Promise<'created' | 'exists'> {
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: { type: 'startWorkflow', workflowType, args, taskQueue: SMS_TASK_QUEUE },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    } as ScheduleOptions);
    return 'created';
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
    return 'exists';
  }
}

/**
 * A schedule that runs every `everyMs` (ALERT_INTERVAL_MS, BALANCE_REFRESH_INTERVAL_MS). The interval follows the
 * configuration on every start: otherwise a changed setting would be ignored without a word, since the schedule
 * outlives the process. Everything else an operator set (a pause, its note) stays. Returns the interval it replaced.
 */
export async function ensureIntervalSchedule(
  client: Client,
  scheduleId: string,
  everyMs: number,
  workflowType: (...args: never[]) => Promise<unknown>,
): Promise<{ replacedEveryMs?: number }> {
  if ((await ensureSchedule(client, scheduleId, { intervals: [{ every: everyMs }] }, workflowType)) === 'created') return {};
  const handle = client.schedule.getHandle(scheduleId);
  const intervals = (await handle.describe()).spec.intervals ?? [];
  // Temporal keeps intervals in whole seconds.
  const seconds = (ms: number) => Math.round(ms / 1000);
  if (intervals.length === 1 && seconds(intervals[0].every) === seconds(everyMs) && !intervals[0].offset) return {};
  await handle.update((current) => ({ ...current, spec: { ...current.spec, intervals: [{ every: everyMs }] } }));
  return { replacedEveryMs: intervals[0]?.every };
}
