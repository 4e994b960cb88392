import { DAY_MS, startOfTaipeiDay } from './taipeiTime';

/** How many Asia/Taipei days of spend the forecast averages (today included). */
export const FORECAST_DAYS = 7;

export interface BalanceForecast {
  /** Average prepaid points spent per day over the recent days that had sends. */
  dailySpend: number;
  /** When the balance reaches zero at that pace; null when nothing is being spent. */
  runsOutAt: Date | null;
}

/** The starts of the last `days` Asia/Taipei days, today first. */
export function recentDays(now: Date, days = FORECAST_DAYS): Date[] {
  const today = startOfTaipeiDay(now).getTime();
  return Array.from({ length: days }, (_, i) => new Date(today - i * DAY_MS));
}

/**
 * Run-out date from recent spend: the points spent over the recent days, divided by the days since the first of
 * them that had sends (at least one day, so a morning's burst is not read as a whole day's pace).
 */
export function forecastRunOut(points: number, usage: { day: Date; points?: number }[], now: Date): BalanceForecast {
  const spending = usage.filter((u) => (u.points ?? 0) > 0);
  if (!spending.length) return { dailySpend: 0, runsOutAt: points <= 0 ? now : null };
  const total = spending.reduce((sum, u) => sum + (u.points ?? 0), 0);
  const since = Math.min(...spending.map((u) => u.day.getTime()));
  const days = Math.max(1, (now.getTime() - since) / DAY_MS);
  const dailySpend = total / days;
  const runsOutAt = points <= 0 ? now : new Date(now.getTime() + (points / dailySpend) * DAY_MS);
  return { dailySpend: Math.round(dailySpend * 100) / 100, runsOutAt };
}
