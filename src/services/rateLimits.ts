import type { AlertRepository } from '../db/alerts';
import type { RateCounterRepository } from '../db/rateCounters';
import { DomainError } from '../domain/errors';
import { metrics } from '../metrics';

interface Window {
  name: string;
  limit: number;
  start: Date;
  end: Date;
}

const MINUTE = 60_000;

function fixedWindow(name: string, limit: number, now: Date, size: number): Window {
  const start = new Date(Math.floor(now.getTime() / size) * size);
  return { name, limit, start, end: new Date(start.getTime() + size) };
}

/** Counts one event in every window; if any is over its limit, gives all back and answers 429 with Retry-After. */
async function admit(counters: RateCounterRepository, events: AlertRepository, scope: string, windows: Window[], now: Date, what: string): Promise<void> {
  const counts = await Promise.all(windows.map((w) => counters.increment(`${scope}:${w.name}`, w.start, w.end)));
  const exceeded = windows.filter((w, i) => counts[i] > w.limit);
  if (exceeded.length === 0) return;
  await Promise.all(windows.map((w) => counters.decrement(`${scope}:${w.name}`, w.start)));
  metrics().rateLimitRejections.inc({ scope: scope.split(':')[0] });
  await events.countEvent('rate_limited', now);
  const retryAfter = Math.max(...exceeded.map((w) => Math.ceil((w.end.getTime() - now.getTime()) / 1000)));
  const limits = exceeded.map((w) => `${w.limit} per ${w.name}`).join(' and ');
  throw new DomainError('rate_limited', 'rate_limited', `${what}: at most ${limits}; retry after ${retryAfter} s`, undefined, retryAfter);
}

export class RateLimiter {
  constructor(
    private readonly counters: RateCounterRepository,
    /** Refusals are counted for the "rate limited often" alert. */
    private readonly events: AlertRepository,
  ) {}

  /**
   * Searches of the message log by phone number, per non-admin key per hour. A masked log filtered by full number
   * still confirms that number, so many searches would unmask any number; admins see full numbers anyway.
   */
  admitPhoneLookup(principalId: string, perHour: number, now = new Date()): Promise<void> {
    return admit(
      this.counters,
      this.events,
      `lookup:${principalId}`,
      [fixedWindow('hour', perHour, now, 60 * MINUTE)],
      now,
      'Too many phone-number searches for this token',
    );
  }

  /**
   * Failed authentications per client address per minute. Past the limit every attempt from that address is refused
   * (429) before its token is checked, so guessing keys or JWT secrets gains no answers until the minute is over.
   */
  async admitAuthentication(address: string, failuresPerMinute: number, now = new Date()): Promise<void> {
    const window = fixedWindow('minute', failuresPerMinute, now, MINUTE);
    if ((await this.counters.current(`authfail:${address}`, window.start)) < failuresPerMinute) return;
    metrics().rateLimitRejections.inc({ scope: 'authfail' });
    const retryAfter = Math.ceil((window.end.getTime() - now.getTime()) / 1000);
    throw new DomainError(
      'rate_limited',
      'rate_limited',
      `Too many failed authentications from this address: at most ${failuresPerMinute} per minute; retry after ${retryAfter} s`,
      undefined,
      retryAfter,
    );
  }

  async countAuthenticationFailure(address: string, now = new Date()): Promise<void> {
    const window = fixedWindow('minute', 0, now, MINUTE);
    await this.counters.increment(`authfail:${address}`, window.start, window.end);
  }

  /** Per API key / JWT subject, per minute. */
  admitRequest(principalId: string, perMinute: number, now = new Date()): Promise<void> {
    return admit(
      this.counters,
      this.events,
      `principal:${principalId}`,
      [fixedWindow('minute', perMinute, now, MINUTE)],
      now,
      'Too many requests for this token',
    );
  }
}
