import { proxyActivities } from '@temporalio/workflow';
import type { BalanceActivities } from '../activities/balances';

// One short call per prepaid provider; a failed round is simply the next scheduled one's to do.
const activities = proxyActivities<BalanceActivities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 3 } });

export const BALANCE_SCHEDULE_ID = 'luckygas-balances';

/** Asks every prepaid provider for its balance; a Temporal Schedule runs it every BALANCE_REFRESH_INTERVAL_MS. */
export async function balanceRefreshWorkflow(): Promise<Record<string, number | string>> {
  return activities.refreshBalances({});
}
