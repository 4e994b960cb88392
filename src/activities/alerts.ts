import { log } from '@temporalio/activity';
import type { Repositories } from '../db';
import type { Alert } from '../db/alerts';
import { evaluateAlertRules, type AlertThresholds } from '../domain/alertRules';
import { startOfTaipeiDay } from '../domain/taipeiTime';
import { balanceReports } from '../services/balanceReport';

export interface AlertDeps {
  repos: Repositories;
  thresholds: AlertThresholds;
  /** ALERT_LOW_BALANCE_POINTS: the `balance_low` point of providers without one of their own. */
  lowBalancePoints?: number;
  windowMs: number;
  webhookUrl?: string;
}

export interface AlertActivities {
  evaluateAlerts(input: Record<string, never>): Promise<{ opened: string[]; resolved: string[] }>;
}

/** Reads what happened over the window, applies the rules, opens and resolves alerts, and notifies the webhook. */
export function createAlertActivities({ repos, thresholds, lowBalancePoints = 0, windowMs, webhookUrl }: AlertDeps): AlertActivities {
  return {
    async evaluateAlerts() {
      const now = new Date();
      const since = new Date(now.getTime() - windowMs);
      // Outcome counters per minute and second: the window costs the same however busy it was.
      const deliveries = await repos.rollups.outcomesBetween(since, now);
      const [rows, circuits, usage, rateLimited, webhookRejected] = await Promise.all([
        repos.providers.list(),
        repos.providerHealth.circuitStates(),
        repos.providerHealth.usageOn(startOfTaipeiDay(now)),
        repos.alerts.eventsSince('rate_limited', since),
        repos.alerts.eventsSince('webhook_rejected', since),
      ]);
      // Prepaid balances and their run-out forecasts (a week of daily usage per provider, by _id).
      const balances = await balanceReports(repos, rows, lowBalancePoints, now);
      const findings = evaluateAlertRules(
        {
          deliveries: rows.map((r) => ({ provider: r._id, ...(deliveries.get(r._id) ?? { decided: 0, delivered: 0 }) })),
          circuits: rows.map((r) => {
            const c = circuits.get(r._id);
            // A provider an operator switched off sends nothing, so nothing would ever close its circuit: no alert.
            return {
              provider: r._id,
              tripped: r.is_active && Boolean(c?.opened_at),
              coolingDown: Boolean(c?.open_until && c.open_until > now),
              consecutiveFailures: c?.consecutive_failures ?? 0,
            };
          }),
          spend: rows.map((r) => ({ provider: r._id, spentToday: usage.get(r._id)?.spend ?? 0, dailyBudget: r.daily_budget ?? 0 })),
          rateLimited,
          webhookRejected,
          balances: [...balances.values()].map((b) => ({
            provider: b.provider,
            points: b.points,
            alertBelow: b.alertBelow,
            dailySpend: b.dailySpend,
            runsOutAt: b.runsOutAt,
          })),
        },
        thresholds,
      );

      const opened: string[] = [];
      const resolved: string[] = [];
      for (const f of findings) {
        const changed = f.firing ? await repos.alerts.open(f.rule, f.subject, f.message, f.details, now) : await repos.alerts.resolve(f.rule, f.subject, now);
        if (!changed) continue;
        (f.firing ? opened : resolved).push(`${f.rule}:${f.subject}`);
        await notify(webhookUrl, changed);
      }
      if (opened.length || resolved.length) log.info('alerts changed', { opened, resolved });
      return { opened, resolved };
    },
  };
}

/** POSTs an opened or resolved alert; a failed notification is logged, the alert itself stays recorded. */
async function notify(url: string | undefined, alert: Alert): Promise<void> {
  if (!url) return;
  const body = JSON.stringify({
    event: `alert.${alert.state === 'open' ? 'opened' : 'resolved'}`,
    alert: {
      id: alert._id,
      rule: alert.rule,
      subject: alert.subject,
      state: alert.state,
      message: alert.message,
      details: alert.details,
      opened_at: alert.opened_at,
      resolved_at: alert.resolved_at ?? null,
    },
  });
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(5_000) });
      if (response.ok) return;
    } catch {
      /* retried below */
    }
    await new Promise((r) => setTimeout(r, attempt * 500));
  }
  log.warn('alert webhook did not accept the notification', { rule: alert.rule, subject: alert.subject });
}
