import { exhaustedRouteReason, planRoute, unroutableReason } from '../../src/domain/routing';
import { startOfTaipeiDay } from '../../src/domain/taipeiTime';

describe('planRoute', () => {
  const provider = (name: 'twilio' | 'every8d' | 'mitake', priority: number, extra = {}) => ({ name, priority, isActive: true, sentToday: 0, ...extra });

  it('orders active providers by priority, highest first', () => {
    const plan = planRoute([provider('twilio', 10), provider('every8d', 20), provider('mitake', 15)], new Date());
    expect(plan.steps.map((s) => s.provider)).toEqual(['every8d', 'mitake', 'twilio']);
  });

  it('skips inactive providers and those at their daily limit, saying why', () => {
    const now = new Date('2026-11-25T08:00:00Z');
    const plan = planRoute(
      [
        provider('every8d', 20, { isActive: false }),
        provider('mitake', 15, { dailyLimit: 100, sentToday: 100 }),
        provider('twilio', 10, { dailyLimit: 100, sentToday: 99 }),
      ],
      now,
    );
    expect(plan.steps.map((s) => s.provider)).toEqual(['twilio']);
    expect(plan.skipped).toEqual([
      { provider: 'every8d', reason: 'inactive' },
      { provider: 'mitake', reason: 'daily_limit_reached' },
    ]);
  });

  it('skips a provider over its daily budget or with an open circuit, and probes it once the cool-down ends', () => {
    const now = new Date('2026-11-25T08:00:00Z');
    const plan = planRoute(
      [
        provider('every8d', 20, { dailyBudget: 50, spentToday: 50.2 }),
        provider('mitake', 15, { circuitOpenUntil: new Date(now.getTime() + 1) }),
        provider('twilio', 10, { circuitOpenUntil: new Date(now.getTime() - 1) }),
      ],
      now,
    );
    expect(plan.steps.map((s) => s.provider)).toEqual(['twilio']);
    expect(plan.skipped.map((s) => s.reason)).toEqual(['daily_budget_reached', 'circuit_open']);
  });
  it('skips a provider known to have fewer prepaid points than the message needs; an unknown balance never does', () => {
    const now = new Date();
    const plan = planRoute([provider('every8d', 20, { balance: 1 }), provider('mitake', 15, { balance: 2 }), provider('twilio', 10)], now, 2);
    expect(plan.steps.map((s) => s.provider)).toEqual(['mitake', 'twilio']);
    expect(plan.skipped).toEqual([{ provider: 'every8d', reason: 'insufficient_balance' }]);
    expect(unroutableReason(plan, 2)).toBeUndefined();
  });

  it('says credit is why nothing can send, when it is', () => {
    const plan = planRoute([provider('every8d', 20, { balance: 0 }), provider('mitake', 15, { isActive: false })], new Date(), 1);
    expect(plan.steps).toEqual([]);
    expect(unroutableReason(plan, 1)).toEqual({ code: 'insufficient_balance', message: expect.stringContaining('every8d') });
    expect(unroutableReason(planRoute([provider('mitake', 15, { isActive: false })], new Date(), 1), 1)).toBeUndefined();
  });
});

describe('exhaustedRouteReason', () => {
  it('says credit is why, when every provider on the route refused for it', () => {
    expect(
      exhaustedRouteReason([
        { provider: 'every8d', code: 'insufficient_balance' },
        { provider: 'mitake', code: 'insufficient_balance' },
      ]),
    ).toEqual({ code: 'insufficient_balance', message: expect.stringMatching(/prepaid credit.*every8d, mitake\)/) });
    // Routing had already left Mitake out for credit; Every8d then refused for it too.
    const withSkipped = exhaustedRouteReason([{ provider: 'every8d', code: 'insufficient_balance' }], ['mitake']);
    expect(withSkipped.message).toMatch(/too little left at every8d, mitake\)$/);
  });

  it('lists each failure otherwise, vendor codes included', () => {
    const reason = exhaustedRouteReason([
      { provider: 'every8d', code: 'no_credit' },
      { provider: 'mitake', code: 'insufficient_balance' },
    ]);
    expect(reason).toEqual({ code: 'all_providers_failed', message: 'no provider accepted the message (every8d: no_credit, mitake: insufficient_balance)' });
    expect(exhaustedRouteReason([]).code).toBe('all_providers_failed');
  });
});

describe('startOfTaipeiDay', () => {
  it('uses the Asia/Taipei calendar day (UTC+8)', () => {
    expect(startOfTaipeiDay(new Date('2026-11-25T15:59:59Z')).toISOString()).toBe('2026-11-24T16:00:00.000Z');
    expect(startOfTaipeiDay(new Date('2026-11-25T16:00:00Z')).toISOString()).toBe('2026-11-25T16:00:00.000Z');
  });
});
