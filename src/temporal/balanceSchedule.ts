import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import { SMS_TASK_QUEUE } from '../domain/sms';
import { BALANCE_SCHEDULE_ID, balanceRefreshWorkflow } from '../workflows/balances';

/** Creates the balance-query schedule once; later starts leave it (and an operator's pause) alone. */
export async function ensureBalanceSchedule(client: Client, intervalMs: number): Promise<void> {
  try {
    await client.schedule.create({
      scheduleId: BALANCE_SCHEDULE_ID,
      spec: { intervals: [{ every: intervalMs }] },
      action: { type: 'startWorkflow', workflowType: balanceRefreshWorkflow, taskQueue: SMS_TASK_QUEUE },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
}
