import type { ProviderName } from './sms';

export interface RoutableProvider {
  name: ProviderName;
  isActive: boolean;
  priority: number;
  /** Messages allowed per Asia/Taipei day; 0 or undefined means unlimited. */
  dailyLimit?: number;
  sentToday: number;
  /** TWD allowed per Asia/Taipei day; 0 or undefined means unlimited. */
  dailyBudget?: number;
  spentToday?: number;
  /** The circuit breaker keeps the provider out of routes until this time. */
  circuitOpenUntil?: Date;
  /** Prepaid points left, when known; unknown (undefined) never keeps a provider out. */
  balance?: number;
}

export interface RouteStep {
  provider: ProviderName;
}

export type SkipReason = 'inactive' | 'daily_limit_reached' | 'daily_budget_reached' | 'circuit_open' | 'insufficient_balance';

export interface RoutePlan {
  steps: RouteStep[];
  skipped: { provider: ProviderName; reason: SkipReason }[];
}

/**
 * Higher priority first; unusable providers are skipped but reported so the message's events say why.
 * `pointsNeeded`: what the message costs a prepaid account (its segments); a provider known to have less is skipped.
 */
export function planRoute(providers: RoutableProvider[], now: Date, pointsNeeded = 0): RoutePlan {
  const ordered = [...providers].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  const plan: RoutePlan = { steps: [], skipped: [] };
  for (const p of ordered) {
    const reason = unusableReason(p, now, pointsNeeded);
    if (reason) plan.skipped.push({ provider: p.name, reason });
    else plan.steps.push({ provider: p.name });
  }
  return plan;
}

/** Why nothing can send, when credit is what stopped it: said as such, so the failure is not a vague "no provider". */
export function unroutableReason(plan: RoutePlan, pointsNeeded: number): { code: string; message: string } | undefined {
  if (plan.steps.length > 0) return undefined;
  const short = plan.skipped.filter((s) => s.reason === 'insufficient_balance').map((s) => s.provider);
  if (!short.length) return undefined;
  return {
    code: 'insufficient_balance',
    message: `no provider has the prepaid credit for this message (${pointsNeeded} points needed; too little left at ${short.join(', ')})`,
  };
}

/**
 * Why a message failed after every provider on its route refused or failed it. When each refused for want of credit
 * (the send's own check, with balances routing had not yet seen), it is said as such, like `unroutableReason`,
 * naming those and the providers routing left out for the same reason (`shortOfCredit`).
 */
export function exhaustedRouteReason(
  failures: { provider: ProviderName; code: string }[],
  shortOfCredit: ProviderName[] = [],
): { code: string; message: string } {
  const forCredit = failures.length > 0 && failures.every((f) => f.code === 'insufficient_balance');
  if (forCredit) {
    const short = [...new Set([...failures.map((f) => f.provider), ...shortOfCredit])];
    return { code: 'insufficient_balance', message: `no provider has the prepaid credit for this message (too little left at ${short.join(', ')})` };
  }
  return {
    code: 'all_providers_failed',
    message: `no provider accepted the message (${failures.map((f) => `${f.provider}: ${f.code}`).join(', ')})`,
  };
}

/** Why a provider cannot take a message now; checked when routing and again just before each send. */
export function unusableReason(p: RoutableProvider, now: Date, pointsNeeded = 0): SkipReason | undefined {
  if (!p.isActive) return 'inactive';
  if (p.dailyLimit && p.sentToday >= p.dailyLimit) return 'daily_limit_reached';
  if (p.dailyBudget && (p.spentToday ?? 0) >= p.dailyBudget) return 'daily_budget_reached';
  if (p.circuitOpenUntil && p.circuitOpenUntil > now) return 'circuit_open';
  if (p.balance !== undefined && p.balance < pointsNeeded) return 'insufficient_balance';
  return undefined;
}
