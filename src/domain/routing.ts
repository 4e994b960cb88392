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
}

export interface RouteStep {
  provider: ProviderName;
}

export type SkipReason = 'inactive' | 'daily_limit_reached' | 'daily_budget_reached' | 'circuit_open';

export interface RoutePlan {
  steps: RouteStep[];
  skipped: { provider: ProviderName; reason: SkipReason }[];
}

/** Higher priority first; unusable providers are skipped but reported so the message's events say why. */
export function planRoute(providers: RoutableProvider[], now: Date): RoutePlan {
  const ordered = [...providers].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  const plan: RoutePlan = { steps: [], skipped: [] };
  for (const p of ordered) {
    const reason = unusableReason(p, now);
    if (reason) plan.skipped.push({ provider: p.name, reason });
    else plan.steps.push({ provider: p.name });
  }
  return plan;
}

/** Why a provider cannot take a message now; checked when routing and again just before each send. */
export function unusableReason(p: RoutableProvider, now: Date): SkipReason | undefined {
  if (!p.isActive) return 'inactive';
  if (p.dailyLimit && p.sentToday >= p.dailyLimit) return 'daily_limit_reached';
  if (p.dailyBudget && (p.spentToday ?? 0) >= p.dailyBudget) return 'daily_budget_reached';
  if (p.circuitOpenUntil && p.circuitOpenUntil > now) return 'circuit_open';
  return undefined;
}
