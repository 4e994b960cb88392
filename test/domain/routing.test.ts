import { planRoute, startOfTaipeiDay } from '../../src/domain/routing';

describe('planRoute', () => {
  const provider = (name: 'twilio' | 'every8d' | 'mitake', priority: number, extra = {}) => ({ name, priority, isActive: true, sentToday: 0, ...extra });

  it('orders active providers by priority, highest first', () => {
    const plan = planRoute([provider('twilio', 10), provider('every8d', 20), provider('mitake', 15)]);
    expect(plan.steps.map((s) => s.provider)).toEqual(['every8d', 'mitake', 'twilio']);
  });

  it('skips inactive providers and those at their daily limit, saying why', () => {
    const plan = planRoute([provider('every8d', 20, { isActive: false }), provider('mitake', 15, { dailyLimit: 100, sentToday: 100 }), provider('twilio', 10, { dailyLimit: 100, sentToday: 99 })]);
    expect(plan.steps.map((s) => s.provider)).toEqual(['twilio']);
    expect(plan.skipped).toEqual([
      { provider: 'every8d', reason: 'inactive' },
      { provider: 'mitake', reason: 'daily_limit_reached' },
    ]);
  });
});

describe('startOfTaipeiDay', () => {
  it('uses the Asia/Taipei calendar day (UTC+8)', () => {
    expect(startOfTaipeiDay(new Date('2026-11-25T15:59:59Z')).toISOString()).toBe('2026-11-24T16:00:00.000Z');
    expect(startOfTaipeiDay(new Date('2026-11-25T16:00:00Z')).toISOString()).toBe('2026-11-25T16:00:00.000Z');
  });
});
