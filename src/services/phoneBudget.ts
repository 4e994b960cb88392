import type { AlertRepository } from '../db/alerts';
import type { PhoneCounterRepository } from '../db/phoneCounters';
import { budgetScope, budgetWindows, overBudget, type OverBudget, type PhoneLimits } from '../domain/phoneBudget';
import type { MessageType } from '../domain/sms';
import { DomainError } from '../domain/errors';
import { metrics } from '../metrics';

/**
 * Counts messages against each destination number's budget, for single sends, batches and campaign runs alike.
 * Every number is counted first; those now over a window are refused and given back at once, so a refused number
 * uses up nothing and the others keep their place.
 */
export class PhoneBudget {
  constructor(
    private readonly counters: PhoneCounterRepository,
    private readonly limits: PhoneLimits,
    /** Refusals are counted for the "rate limited often" alert. */
    private readonly events: AlertRepository,
  ) {}

  /**
   * Admits what fits in the windows of `at` (domain/phoneBudget.ts `countedAt`: now, or the later time the messages
   * are held for); answers the refused numbers (E.164) with their reasons.
   */
  async admit(numbers: string[], type: MessageType, at = new Date()): Promise<Map<string, OverBudget>> {
    const refused = new Map<string, OverBudget>();
    if (numbers.length === 0) return refused;
    const now = new Date();
    const scope = budgetScope(type);
    const windows = budgetWindows(type, this.limits, at);
    const counts = await Promise.all(windows.map((w) => this.counters.add(scope, w, numbers, 1)));
    for (const n of numbers) {
      const exceeded = windows.filter((w, i) => (counts[i].get(n) ?? 0) > w.limit);
      if (exceeded.length) refused.set(n, overBudget(exceeded, now, at));
    }
    if (refused.size) {
      await this.giveBack([...refused.keys()], type, at);
      metrics().rateLimitRejections.inc({ scope: 'phone' }, refused.size);
      await this.events.countEvent('rate_limited', now, refused.size);
    }
    return refused;
  }

  /** One message to one number, or 429 with Retry-After. */
  async admitOne(e164: string, type: MessageType, at = new Date()): Promise<void> {
    const refused = (await this.admit([e164], type, at)).get(e164);
    if (refused) throw new DomainError('rate_limited', 'rate_limited', refused.reason, undefined, refused.retryAfterSeconds);
  }

  /** Returns what `admit` counted at `at`, for messages that will not be sent after all. */
  async giveBack(numbers: string[], type: MessageType, at: Date): Promise<void> {
    if (numbers.length === 0) return;
    const scope = budgetScope(type);
    await Promise.all(budgetWindows(type, this.limits, at).map((w) => this.counters.add(scope, w, numbers, -1)));
  }
}
