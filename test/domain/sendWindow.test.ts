import { MAX_SCHEDULE_AHEAD_DAYS, sendWindowProblems } from '../../src/domain/sendWindow';

const now = new Date('2026-11-27T00:00:00Z');
const at = (minutes: number) => new Date(now.getTime() + minutes * 60_000);
const DAY = 24 * 60;

describe('send window (scheduled_at, valid_until)', () => {
  it('accepts a time in the future with a later end of validity', () => {
    expect(sendWindowProblems({ scheduledAt: at(60), validUntil: at(120) }, now)).toEqual([]);
    expect(sendWindowProblems({ validUntil: at(1) }, now)).toEqual([]);
    expect(sendWindowProblems({}, now)).toEqual([]);
  });

  it.each([
    ['scheduled_at now', { scheduledAt: at(0) }, 'scheduled_at', 'must be in the future'],
    ['scheduled_at in the past', { scheduledAt: at(-5) }, 'scheduled_at', 'must be in the future'],
    [
      'scheduled_at past the horizon',
      { scheduledAt: at(MAX_SCHEDULE_AHEAD_DAYS * DAY + 1) },
      'scheduled_at',
      `must be at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead`,
    ],
    ['valid_until in the past', { validUntil: at(-1) }, 'valid_until', 'must be in the future'],
    ['valid_until before scheduled_at', { scheduledAt: at(60), validUntil: at(30) }, 'valid_until', 'must be after scheduled_at'],
    ['valid_until equal to scheduled_at', { scheduledAt: at(60), validUntil: at(60) }, 'valid_until', 'must be after scheduled_at'],
    [
      'valid_until past the horizon',
      { validUntil: at(MAX_SCHEDULE_AHEAD_DAYS * DAY + 1) },
      'valid_until',
      `must be at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead`,
    ],
  ])('refuses %s, naming the field', (_label, window, field, message) => {
    expect(sendWindowProblems(window, now)).toEqual([{ field, message }]);
  });
});
