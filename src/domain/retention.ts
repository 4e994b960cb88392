import { dayOf, dayStartMs, monthOf, monthStartMs } from './lookupKeys';

/**
 * Retention calendar arithmetic on UTC days (`YYYYMMDD`) and months (`YYYYMM`), the units the lookup lists are cut
 * in. Pure and workflow-safe: the retention workflow decides from these which months it may drop.
 */
const DAY_MS = 24 * 3600_000;

export const RETENTION_SCHEDULE_ID = 'luckygas-retention';
/** Audit action of one retention run. */
export const RETENTION_AUDIT_ACTION = 'retention.purged';
/** First run without a watermark: how far before the cutoff to start looking for old days. */
export const FIRST_RUN_LOOKBACK_DAYS = 400;

/** Everything created before this instant is past retention. */
export const retentionCutoff = (now: number, retentionDays: number): number => now - retentionDays * DAY_MS;

export const nextDay = (day: string): string => dayOf(dayStartMs(day) + DAY_MS);
export const addDays = (day: string, n: number): string => dayOf(dayStartMs(day) + n * DAY_MS);

/** Months whose every day lies in [fromDay, toDay)'s past, i.e. that end on or before `toDay` and not before `fromDay`'s month. */
export function monthsEndingBetween(fromDay: string, toDay: string): string[] {
  const months: string[] = [];
  for (let t = monthStartMs(monthOf(dayStartMs(fromDay))); ; ) {
    const next = Date.UTC(new Date(t).getUTCFullYear(), new Date(t).getUTCMonth() + 1, 1);
    if (next > dayStartMs(toDay)) return months;
    months.push(monthOf(t));
    t = next;
  }
}
