import type { Client } from '@temporalio/client';
import { ALERT_SCHEDULE_ID, alertsWorkflow } from '../workflows/alerts';
import { ensureSchedule } from './ensureSchedule';

/** Creates the alert-evaluation schedule once; later starts leave it (and an operator's pause) alone. */
export function ensureAlertSchedule(client: Client, intervalMs: number): Promise<void> {
  return ensureSchedule(client, ALERT_SCHEDULE_ID, { intervals: [{ every: intervalMs }] }, alertsWorkflow);
}
