import { proxyActivities } from '@temporalio/workflow';
import type { AlertActivities } from '../activities/alerts';

const activities = proxyActivities<AlertActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 3 } });

export const ALERT_SCHEDULE_ID = 'luckygas-alerts';

/** One evaluation of the alert rules; a Temporal Schedule runs it every few minutes. */
export async function alertsWorkflow(): Promise<{ opened: string[]; resolved: string[] }> {
  return activities.evaluateAlerts({});
}
