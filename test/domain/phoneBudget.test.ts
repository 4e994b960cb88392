import { budgetScope, budgetWindows, countedAt, overBudget, phoneBucket, PHONE_BUCKETS } from '../../src/domain/phoneBudget';

const limits = { perHour: 5, perDay: 20, transactionalPerHour: 20, transactionalPerDay: 60 };

describe('per-number budget rule', () => {
  it('gives order and delivery notices their own, higher budget', () => {
    const now = new Date('2026-11-27T03:20:00Z');
    expect(budgetWindows('marketing', limits, now).map((w) => w.limit)).toEqual([5, 20]);
    expect(budgetWindows('delivery_notification', limits, now).map((w) => w.limit)).toEqual([20, 60]);
    expect(budgetScope('order_confirmation')).not.toBe(budgetScope('general'));
  });

  it('uses the clock hour and the Asia/Taipei day', () => {
    const [hour, day] = budgetWindows('general', limits, new Date('2026-11-27T17:20:00Z'));
    expect(hour.start.toISOString()).toBe('2026-11-27T17:00:00.000Z');
    expect(day.start.toISOString()).toBe('2026-11-27T16:00:00.000Z'); // 00:00 in Taipei
  });

  it('says which limits were hit and when to retry', () => {
    const now = new Date('2026-11-27T17:20:00Z');
    const windows = budgetWindows('general', limits, now);
    expect(overBudget(windows, now)).toEqual({
      reason: 'Too many messages to this number: at most 5 per hour and 20 per day; retry after 81600 s',
      retryAfterSeconds: 81_600,
    });
  });

  it('counts a message held for later at its send time, and one due now (or overdue) now', () => {
    const now = new Date('2026-11-27T17:20:00Z');
    const tomorrow = new Date('2026-11-28T02:00:00Z');
    expect(countedAt(tomorrow, now)).toBe(tomorrow);
    expect(countedAt(new Date('2026-11-27T17:00:00Z'), now)).toBe(now);
    expect(countedAt(undefined, now)).toBe(now);
    // Refused for that later hour: the reason says so, and the retry runs from now.
    expect(overBudget(budgetWindows('general', limits, tomorrow).slice(0, 1), now, tomorrow)).toEqual({
      reason: 'Too many messages to this number when it is to be sent (2026-11-28T02:00:00.000Z): at most 5 per hour; retry after 34800 s',
      retryAfterSeconds: 34_800,
    });
  });

  it('puts a number always in the same bucket', () => {
    expect(phoneBucket('+886912345678')).toBe(phoneBucket('+886912345678'));
    expect(phoneBucket('+886912345678')).toBeLessThan(PHONE_BUCKETS);
  });
});
