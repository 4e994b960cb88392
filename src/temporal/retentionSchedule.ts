import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { SMS_TASK_QUEUE } from '../domain/sms';
import { RETENTION_SCHEDULE_ID, retentionWorkflow } from '../workflows/retention';

/** When the purge runs: a quiet hour for Taiwanese traffic (no marketing, few orders). */
export const RETENTION_TIME = { hour: 3, minute: 30, timezone: 'Asia/Taipei' } as const;

/** Creates the daily retention schedule once; later starts leave it (and an operator's pause) alone. */
export async function ensureRetentionSchedule(client: Client): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: RETENTION_SCHEDULE_ID,
      spec: { calendars: [{ hour: RETENTION_TIME.hour, minute: RETENTION_TIME.minute }], timezone: RETENTION_TIME.timezone },
      action: { type: 'startWorkflow', workflowType: retentionWorkflow, args: [{}], taskQueue: SMS_TASK_QUEUE },
      // Two runs at once would walk the same days; a run still going when the next is due simply continues.
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
