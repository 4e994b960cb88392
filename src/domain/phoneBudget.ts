/**
 * The anti-pumping rule, one place for every path that sends (single sends, batches, campaign runs): how many
 * messages one destination number may get per hour and per Asia/Taipei day, with a higher allowance for the
 * notices a customer is waiting for. Pure: windows and reasons only; counting lives in `services/phoneBudget.ts`.
 */
import { startOfTaipeiDay } from './taipeiTime';
import { isTransactional, type MessageType } from './sms';

export interface PhoneLimits {
  perHour: number;
  perDay: number;
  transactionalPerHour: number;
  transactionalPerDay: number;
}

export interface BudgetWindow {
  name: 'hour' | 'day';
  limit: number;
  start: Date;
  end: Date;
}

const HOUR = 3_600_000;

/** Transactional and other messages have budgets of their own: a campaign never uses up a delivery notice's. */
export const budgetScope = (type: MessageType): string => `phone:${isTransactional(type) ? 'transactional' : 'other'}`;

export function budgetWindows(type: MessageType, limits: PhoneLimits, now: Date): BudgetWindow[] {
  const transactional = isTransactional(type);
  const hourStart = new Date(Math.floor(now.getTime() / HOUR) * HOUR);
  const dayStart = startOfTaipeiDay(now);
  return [
    { name: 'hour', limit: transactional ? limits.transactionalPerHour : limits.perHour, start: hourStart, end: new Date(hourStart.getTime() + HOUR) },
    { name: 'day', limit: transactional ? limits.transactionalPerDay : limits.perDay, start: dayStart, end: new Date(dayStart.getTime() + 24 * HOUR) },
  ];
}

export interface OverBudget {
  reason: string;
  retryAfterSeconds: number;
}

/**
 * When a message counts against its number's budget: when it will be sent, so messages held for a later time (a
 * `scheduled_at`, quiet hours) count in that hour and day, and cannot bunch up past the limit once released.
 */
export function countedAt(sendAt: Date | undefined, now = new Date()): Date {
  return sendAt && sendAt.getTime() > now.getTime() ? sendAt : now;
}

/**
 * Why a number may not get one more message at `countedAt`, in the words a 429 and a rejected batch row both use;
 * `retryAfterSeconds` runs from `now` to the end of the fullest window.
 */
export function overBudget(exceeded: BudgetWindow[], now: Date, counted = now): OverBudget {
  const retryAfterSeconds = Math.max(...exceeded.map((w) => Math.ceil((w.end.getTime() - now.getTime()) / 1000)));
  const limits = exceeded.map((w) => `${w.limit} per ${w.name}`).join(' and ');
  const when = counted.getTime() > now.getTime() ? ` when it is to be sent (${counted.toISOString()})` : '';
  return { reason: `Too many messages to this number${when}: at most ${limits}; retry after ${retryAfterSeconds} s`, retryAfterSeconds };
}

/** Counter documents per window: a number always lands in the same one, and a batch touches at most this many. */
export const PHONE_BUCKETS = 1024;

export function phoneBucket(e164: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < e164.length; i++) hash = Math.imul(hash ^ e164.charCodeAt(i), 0x01000193) >>> 0;
  return hash % PHONE_BUCKETS;
}
