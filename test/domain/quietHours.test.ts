import { TAIWAN_QUIET_HOURS, nextAllowedTime, heldByQuietHours, quietHoldUntil } from '../../src/domain/quietHours';

/** Taipei local time → Date (UTC+8). */
const taipei = (iso: string) => new Date(`${iso}+08:00`);

describe('nextAllowedTime with Taiwan quiet hours', () => {
  it.each([
    ['2026-11-25T10:00:00', '2026-11-25T10:00:00'], // allowed: unchanged
    ['2026-11-25T20:59:59', '2026-11-25T20:59:59'],
    ['2026-11-25T21:00:00', '2026-11-26T09:00:00'], // evening: next morning
    ['2026-11-25T23:30:00', '2026-11-26T09:00:00'],
    ['2026-11-26T03:00:00', '2026-11-26T09:00:00'], // after midnight: same morning
    ['2026-11-26T08:59:59', '2026-11-26T09:00:00'],
    ['2026-11-26T12:30:00', '2026-11-26T13:30:00'], // lunch
    ['2026-11-26T13:29:00', '2026-11-26T13:30:00'],
    ['2026-11-26T13:30:00', '2026-11-26T13:30:00'],
  ])('%s → %s', (now, expected) => {
    expect(nextAllowedTime(taipei(now), TAIWAN_QUIET_HOURS).toISOString()).toBe(taipei(expected).toISOString());
  });

  it('steps through windows that chain into each other, to the second', () => {
    const windows = [
      { start: '10:00', end: '10:00:30' },
      { start: '10:00:30', end: '11:00' },
    ];
    expect(nextAllowedTime(taipei('2026-11-25T10:00:10'), windows).toISOString()).toBe(taipei('2026-11-25T11:00:00').toISOString());
  });

  it('allows everything with no windows', () => {
    const now = new Date();
    expect(nextAllowedTime(now, [])).toEqual(now);
  });
});

describe('heldByQuietHours', () => {
  it('holds marketing always, other non-transactional messages when asked, notices never', () => {
    expect(heldByQuietHours('marketing')).toBe(true);
    expect(heldByQuietHours('general')).toBe(false);
    expect(heldByQuietHours('payment_reminder', true)).toBe(true);
    expect(heldByQuietHours('order_confirmation', true)).toBe(false);
    expect(heldByQuietHours('delivery_notification', true)).toBe(false);
  });
});

describe('quietHoldUntil, checked right before a provider call', () => {
  it('holds a marketing text (or a batch message that respects quiet hours) found in a window until it ends', () => {
    const night = taipei('2026-11-25T21:00:05');
    expect(quietHoldUntil({ message_type: 'marketing' }, TAIWAN_QUIET_HOURS, night)).toBe(taipei('2026-11-26T09:00:00').getTime());
    expect(quietHoldUntil({ message_type: 'general', respect_quiet_hours: true }, TAIWAN_QUIET_HOURS, night)).toBe(taipei('2026-11-26T09:00:00').getTime());
  });

  it('lets it go outside the windows, and never holds notices or messages not asked to wait', () => {
    expect(quietHoldUntil({ message_type: 'marketing' }, TAIWAN_QUIET_HOURS, taipei('2026-11-25T20:59:59'))).toBeUndefined();
    expect(quietHoldUntil({ message_type: 'general' }, TAIWAN_QUIET_HOURS, taipei('2026-11-25T23:00:00'))).toBeUndefined();
    expect(
      quietHoldUntil({ message_type: 'order_confirmation', respect_quiet_hours: true }, TAIWAN_QUIET_HOURS, taipei('2026-11-25T23:00:00')),
    ).toBeUndefined();
  });
});
