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
): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId,
      spec,
      action: { type: 'startWorkflow', workflowType, args, taskQueue: SMS_TASK_QUEUE },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    } as ScheduleOptions);
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
