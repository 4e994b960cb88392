import type { ProviderName } from './sms';

export interface RoutableProvider {
  name: ProviderName;
  isActive: boolean;
  priority: number;
  /** Messages allowed per Asia/Taipei day; 0 or undefined means unlimited. */
  dailyLimit?: number;
  sentToday: number;
}

export interface RouteStep {
  provider: ProviderName;
}

export interface RoutePlan {
  steps: RouteStep[];
  skipped: { provider: ProviderName; reason: 'inactive' | 'daily_limit_reached' }[];
}

/** Higher priority first; inactive and exhausted providers are skipped but reported so the audit trail says why. */
export function planRoute(providers: RoutableProvider[]): RoutePlan {
  const ordered = [...providers].sort((a, b) => b.priority - a.priority || a.name.localeCompare(b.name));
  const plan: RoutePlan = { steps: [], skipped: [] };
  for (const p of ordered) {
    if (!p.isActive) plan.skipped.push({ provider: p.name, reason: 'inactive' });
    else if (p.dailyLimit && p.sentToday >= p.dailyLimit) plan.skipped.push({ provider: p.name, reason: 'daily_limit_reached' });
    else plan.steps.push({ provider: p.name });
  }
  return plan;
}

/** Start of the current day in Asia/Taipei (UTC+8, no DST), the day that daily limits and reports use. */
export function startOfTaipeiDay(now: Date): Date {
  const offsetMs = 8 * 60 * 60 * 1000;
  const local = new Date(now.getTime() + offsetMs);
  local.setUTCHours(0, 0, 0, 0);
  return new Date(local.getTime() - offsetMs);
}
