import { evaluateAlertRules, type AlertObservations } from '../../src/domain/alertRules';

const thresholds = { minDeliveryRate: 0.9, minDecided: 10, rateLimitedPerWindow: 50, webhookRejectedPerWindow: 10 };
const quiet: AlertObservations = { deliveries: [], circuits: [], spend: [], rateLimited: 0, webhookRejected: 0 };
const firing = (o: Partial<AlertObservations>) =>
  evaluateAlertRules({ ...quiet, ...o }, thresholds)
    .filter((f) => f.firing)
    .map((f) => `${f.rule}:${f.subject}`);

describe('alert rules', () => {
  it('fire on a delivery rate under 90 % once there are enough receipts', () => {
    expect(firing({ deliveries: [{ provider: 'mitake', decided: 10, delivered: 8 }] })).toEqual(['delivery_rate_low:mitake']);
    expect(firing({ deliveries: [{ provider: 'mitake', decided: 9, delivered: 0 }] })).toEqual([]);
    expect(firing({ deliveries: [{ provider: 'mitake', decided: 10, delivered: 9 }] })).toEqual([]);
  });

  it('fire on a tripped circuit (cooling down or half-open until a send succeeds), a spent budget, frequent rate limiting and refused webhooks', () => {
    expect(
      firing({
        circuits: [
          { provider: 'twilio', tripped: true, coolingDown: true, consecutiveFailures: 5 },
          { provider: 'mitake', tripped: true, coolingDown: false, consecutiveFailures: 5 },
          { provider: 'every8d', tripped: false, coolingDown: false, consecutiveFailures: 2 },
        ],
      }),
    ).toEqual(['provider_failing:twilio', 'provider_failing:mitake']);
    expect(
      firing({
        spend: [
          { provider: 'every8d', spentToday: 500, dailyBudget: 500 },
          { provider: 'mitake', spentToday: 900, dailyBudget: 0 },
        ],
      }),
    ).toEqual(['daily_budget_exceeded:every8d']);
    expect(firing({ rateLimited: 50, webhookRejected: 9 })).toEqual(['rate_limited_often:all']);
    expect(firing({ webhookRejected: 10 })).toEqual(['webhook_errors:all']);
  });

  it('fire when a prepaid balance is under its alert point, naming the forecast run-out day', () => {
    const runsOutAt = new Date('2026-12-01T10:00:00Z');
    const balance = { provider: 'every8d', points: 80, alertBelow: 100, dailySpend: 20, runsOutAt };
    expect(firing({ balances: [balance] })).toEqual(['balance_low:every8d']);
    expect(firing({ balances: [{ ...balance, points: 100 }] })).toEqual([]);
    expect(firing({ balances: [{ ...balance, alertBelow: 0 }] })).toEqual([]); // 0 = no alert
    const [finding] = evaluateAlertRules({ ...quiet, balances: [balance] }, thresholds).filter((f) => f.rule === 'balance_low');
    expect(finding.message).toContain('2026-12-01');
    expect(finding.details).toMatchObject({ points: 80, alert_below: 100, runs_out_at: runsOutAt.toISOString() });
  });

  it('report every subject they looked at, so quiet ones can resolve open alerts', () => {
    const findings = evaluateAlertRules({ ...quiet, deliveries: [{ provider: 'every8d', decided: 0, delivered: 0 }] }, thresholds);
    expect(findings.map((f) => [f.rule, f.subject, f.firing])).toEqual([
      ['delivery_rate_low', 'every8d', false],
      ['rate_limited_often', 'all', false],
      ['webhook_errors', 'all', false],
    ]);
  });
});
