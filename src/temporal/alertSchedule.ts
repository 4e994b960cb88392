import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { SMS_TASK_QUEUE } from '../domain/sms';
import { ALERT_SCHEDULE_ID, alertsWorkflow } from '../workflows/alerts';

/** Creates the alert-evaluation schedule once; later starts leave it (and an operator's pause) alone. */
export async function ensureAlertSchedule(client: Client, intervalMs: number): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: ALERT_SCHEDULE_ID,
      spec: { intervals: [{ every: intervalMs }] },
      action: { type: 'startWorkflow', workflowType: alertsWorkflow, taskQueue: SMS_TASK_QUEUE },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
