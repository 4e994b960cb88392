import type { Client } from '@temporalio/client';
import { BALANCE_SCHEDULE_ID, balanceRefreshWorkflow } from '../workflows/balances';
import { ensureSchedule } from './ensureSchedule';

/** Creates the balance-query schedule once; later starts leave it (and an operator's pause) alone. */
export function ensureBalanceSchedule(client: Client, intervalMs: number): Promise<void> {
  return ensureSchedule(client, BALANCE_SCHEDULE_ID, { intervals: [{ every: intervalMs }] }, balanceRefreshWorkflow);
}
