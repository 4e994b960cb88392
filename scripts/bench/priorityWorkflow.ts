import { proxyActivities } from '@temporalio/workflow';

const { note } = proxyActivities<{ note(input: { id: string }): Promise<void> }>({ taskQueue: 'prio-act', startToCloseTimeout: '1 minute' });

/** Used by priorityCheck.ts: one activity on the rate-limited queue, inheriting the workflow's priority. */
export async function priorityWorkflow({ id }: { id: string }): Promise<void> {
  await note({ id });
}
