import type { FieldProblem } from './errors';

/**
 * How far ahead a message may be scheduled or stay valid. A scheduled message is a running workflow and a stored
 * text for that long; a month covers payment reminders and keeps forgotten messages from piling up for years.
 */
export const MAX_SCHEDULE_AHEAD_DAYS = 30;
const MAX_AHEAD_MS = MAX_SCHEDULE_AHEAD_DAYS * 24 * 3600_000;

/** The caller's `scheduled_at` and `valid_until`, already parsed. */
export interface SendWindow {
  scheduledAt?: Date;
  validUntil?: Date;
}

/** What is wrong with a requested send window, per field; empty when it is fine. */
export function sendWindowProblems({ scheduledAt, validUntil }: SendWindow, now = new Date()): FieldProblem[] {
  const problems: FieldProblem[] = [];
  const horizon = now.getTime() + MAX_AHEAD_MS;
  if (scheduledAt && scheduledAt.getTime() <= now.getTime()) problems.push({ field: 'scheduled_at', message: 'must be in the future' });
  if (scheduledAt && scheduledAt.getTime() > horizon)
    problems.push({ field: 'scheduled_at', message: `must be at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead` });
  if (validUntil && validUntil.getTime() <= (scheduledAt ?? now).getTime())
    problems.push({ field: 'valid_until', message: scheduledAt ? 'must be after scheduled_at' : 'must be in the future' });
  if (validUntil && validUntil.getTime() > horizon) problems.push({ field: 'valid_until', message: `must be at most ${MAX_SCHEDULE_AHEAD_DAYS} days ahead` });
  return problems;
}
