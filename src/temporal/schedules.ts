import type { Client } from '@temporalio/client';
import type { Config } from '../config';
import type { Logger } from '../log';
import { ALERT_SCHEDULE_ID, alertsWorkflow } from '../workflows/alerts';
import { BALANCE_SCHEDULE_ID, balanceRefreshWorkflow } from '../workflows/balances';
import { ensureIntervalSchedule } from './ensureSchedule';
import { ensureRetentionSchedule } from './retentionSchedule';

type ScheduleConfig = Pick<Config, 'ALERT_INTERVAL_MS' | 'ALERT_WINDOW_MS' | 'BALANCE_REFRESH_INTERVAL_MS'>;

/**
 * The service's own schedules, made on the first start: alert evaluation and balance queries every configured
 * interval (a changed interval is applied, an operator's pause kept), and the nightly retention purge.
 */
export async function ensureSchedules(client: Client, config: ScheduleConfig, log: Logger): Promise<void> {
  const intervals = [
    { scheduleId: ALERT_SCHEDULE_ID, everyMs: config.ALERT_INTERVAL_MS, workflow: alertsWorkflow },
    { scheduleId: BALANCE_SCHEDULE_ID, everyMs: config.BALANCE_REFRESH_INTERVAL_MS, workflow: balanceRefreshWorkflow },
  ];
  for (const { scheduleId, everyMs, workflow } of intervals) {
    const { replacedEveryMs } = await ensureIntervalSchedule(client, scheduleId, everyMs, workflow);
    if (replacedEveryMs !== undefined) log.info('schedule interval set from the configuration', { scheduleId, fromMs: replacedEveryMs, toMs: everyMs });
  }
  await ensureRetentionSchedule(client);
  // The rules count what happened over the window: a shorter window than the interval leaves time no evaluation sees.
  if (config.ALERT_WINDOW_MS < config.ALERT_INTERVAL_MS)
    log.warn('ALERT_WINDOW_MS is shorter than ALERT_INTERVAL_MS: alerts miss what happens between windows', {
      windowMs: config.ALERT_WINDOW_MS,
      intervalMs: config.ALERT_INTERVAL_MS,
    });
}
