import type { Client } from '@temporalio/client';
import { RETENTION_SCHEDULE_ID, retentionWorkflow } from '../workflows/retention';
import { ensureSchedule } from './ensureSchedule';

/** When the purge runs: a quiet hour for Taiwanese traffic (no marketing, few orders). */
export const RETENTION_TIME = { hour: 3, minute: 30, timezone: 'Asia/Taipei' } as const;

/** Creates the daily retention schedule once; later starts leave it (and an operator's pause) alone. */
export async function ensureRetentionSchedule(client: Client): Promise<void> {
  // Two runs at once would walk the same days (ensureSchedule skips a run that is due while one still goes).
  const spec = { calendars: [{ hour: RETENTION_TIME.hour, minute: RETENTION_TIME.minute }], timezone: RETENTION_TIME.timezone };
  await ensureSchedule(client, RETENTION_SCHEDULE_ID, spec, retentionWorkflow, [{}]);
}
