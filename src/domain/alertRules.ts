/**
 * Alert rules from the seed doc's monitoring section, as a pure function of what was observed over the window.
 * Every rule reports each subject it looked at, firing or not, so an alert that stops firing gets resolved.
 */
export interface AlertObservations {
  /** Per provider over the window: receipts decided and how many were delivered. */
  deliveries: { provider: string; decided: number; delivered: number }[];
  /**
   * Per provider: `tripped` from the failure that opened its circuit until a send succeeds again (through the
   * cool-down and the half-open probes after it), `coolingDown` while routing skips it outright.
   */
  circuits: { provider: string; tripped: boolean; coolingDown: boolean; consecutiveFailures: number }[];
  spend: { provider: string; spentToday: number; dailyBudget: number }[];
  rateLimited: number;
  webhookRejected: number;
  /** Prepaid providers with a known balance: points left, the alert point (0 = none), the run-out forecast. */
  balances?: { provider: string; points: number; alertBelow: number; dailySpend: number; runsOutAt: Date | null }[];
}

export interface AlertThresholds {
  minDeliveryRate: number;
  minDecided: number;
  rateLimitedPerWindow: number;
  webhookRejectedPerWindow: number;
}

export interface Finding {
  rule: 'delivery_rate_low' | 'provider_failing' | 'daily_budget_exceeded' | 'rate_limited_often' | 'webhook_errors' | 'balance_low';
  subject: string;
  firing: boolean;
  message: string;
  details: Record<string, unknown>;
}

export function evaluateAlertRules(o: AlertObservations, t: AlertThresholds): Finding[] {
  const findings: Finding[] = [];
  for (const d of o.deliveries) {
    const rate = d.decided ? d.delivered / d.decided : 1;
    findings.push({
      rule: 'delivery_rate_low',
      subject: d.provider,
      firing: d.decided >= t.minDecided && rate < t.minDeliveryRate,
      message: `${d.provider} delivered ${(rate * 100).toFixed(1)} % of ${d.decided} messages (threshold ${(t.minDeliveryRate * 100).toFixed(0)} %)`,
      details: { decided: d.decided, delivered: d.delivered, delivery_rate: Math.round(rate * 10_000) / 10_000 },
    });
  }
  for (const c of o.circuits) {
    findings.push({
      rule: 'provider_failing',
      subject: c.provider,
      // Not only while it cools down (a minute by default): an evaluation every few minutes would miss most trips,
      // and a provider whose probes keep failing is still failing between them.
      firing: c.tripped,
      message: `${c.provider} failed ${c.consecutiveFailures} times in a row; its circuit is ${c.coolingDown ? 'open' : 'half-open, waiting for a send to succeed'}`,
      details: { consecutive_failures: c.consecutiveFailures, cooling_down: c.coolingDown },
    });
  }
  for (const s of o.spend) {
    findings.push({
      rule: 'daily_budget_exceeded',
      subject: s.provider,
      firing: s.dailyBudget > 0 && s.spentToday >= s.dailyBudget,
      message: `${s.provider} spent NT$${s.spentToday.toFixed(2)} today of a NT$${s.dailyBudget} budget`,
      details: { spent_today: s.spentToday, daily_budget: s.dailyBudget },
    });
  }
  for (const b of o.balances ?? []) {
    const runsOut = b.runsOutAt ? `; at ${b.dailySpend} a day it runs out around ${b.runsOutAt.toISOString().slice(0, 10)}` : '';
    findings.push({
      rule: 'balance_low',
      subject: b.provider,
      firing: b.alertBelow > 0 && b.points < b.alertBelow,
      message: `${b.provider} has ${b.points} prepaid points left (alert below ${b.alertBelow})${runsOut}`,
      details: { points: b.points, alert_below: b.alertBelow, daily_spend: b.dailySpend, runs_out_at: b.runsOutAt?.toISOString() ?? null },
    });
  }
  findings.push({
    rule: 'rate_limited_often',
    subject: 'all',
    firing: o.rateLimited >= t.rateLimitedPerWindow,
    message: `${o.rateLimited} requests refused by rate limits in the window`,
    details: { refused: o.rateLimited },
  });
  findings.push({
    rule: 'webhook_errors',
    subject: 'all',
    firing: o.webhookRejected >= t.webhookRejectedPerWindow,
    message: `${o.webhookRejected} webhook calls refused in the window`,
    details: { refused: o.webhookRejected },
  });
  return findings;
}
