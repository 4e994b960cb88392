import type { Repositories } from '../db';
import type { BalanceSource } from '../db/providerBalances';
import type { ProviderRow } from '../db/providers';
import { forecastRunOut, recentDays } from '../domain/balanceForecast';
import type { ProviderName } from '../domain/sms';

/** One provider's known balance, its pace and run-out forecast, and the point below which it alerts. */
export interface BalanceReport {
  provider: ProviderName;
  points: number;
  source: BalanceSource;
  observedAt: Date;
  dailySpend: number;
  runsOutAt: Date | null;
  /** 0 = no alert. */
  alertBelow: number;
}

/** The provider's own threshold when set, else the deployment's default (ALERT_LOW_BALANCE_POINTS). */
export const alertBelowOf = (row: Pick<ProviderRow, 'balance_alert_below'>, defaultAlertBelow: number): number => row.balance_alert_below ?? defaultAlertBelow;

/**
 * Balances of the given providers that have one (prepaid accounts that reported it), with forecasts. Reads one
 * small collection plus a week of daily usage per such provider, by `_id`.
 */
export async function balanceReports(
  repos: Repositories,
  rows: ProviderRow[],
  defaultAlertBelow: number,
  now = new Date(),
): Promise<Map<ProviderName, BalanceReport>> {
  const balances = await repos.balances.all();
  const days = recentDays(now);
  const reports = await Promise.all(
    rows.flatMap((row) => {
      const balance = balances.get(row._id);
      if (!balance) return [];
      return [
        repos.providerHealth.usageOnDays(row._id, days).then((usage): BalanceReport => {
          const forecast = forecastRunOut(balance.points, usage, now);
          return {
            provider: row._id,
            points: balance.points,
            source: balance.source,
            observedAt: balance.observed_at,
            ...forecast,
            alertBelow: alertBelowOf(row, defaultAlertBelow),
          };
        }),
      ];
    }),
  );
  return new Map(reports.map((r) => [r.provider, r]));
}

/** The API's shape of a balance report (snake_case, ISO dates). */
export function balanceView(report: BalanceReport | undefined) {
  if (!report) return null;
  return {
    points: report.points,
    source: report.source,
    observed_at: report.observedAt.toISOString(),
    daily_spend: report.dailySpend,
    runs_out_at: report.runsOutAt?.toISOString() ?? null,
    alert_below: report.alertBelow,
    low: report.alertBelow > 0 && report.points < report.alertBelow,
  };
}
