import type { SendPlan } from '../activities/types';
import type { Config } from '../config';
import type { Repositories } from '../db';
import type { SmsTemplate } from '../db/templates';
import { routableProvider } from '../db/providerDirectory';
import { planRoute, unroutableReason, type RoutePlan } from '../domain/routing';
import { startOfTaipeiDay } from '../domain/taipeiTime';
import { POLLING_PROVIDERS } from '../providers';

/** Timing and retry settings every SMS workflow is told (recorded in its history with the route). */
export type SendPolicy = Pick<SendPlan, 'sendTimeoutMs' | 'attemptsPerProvider' | 'receiptTimeoutMs' | 'receiptPollMs' | 'rerouteOnUndelivered'>;

export function sendPolicyOf(config: Config): SendPolicy {
  return {
    sendTimeoutMs: config.SMS_PROVIDER_TIMEOUT_MS,
    attemptsPerProvider: config.SMS_ATTEMPTS_PER_PROVIDER,
    receiptTimeoutMs: config.SMS_RECEIPT_TIMEOUT_MS,
    receiptPollMs: config.SMS_RECEIPT_POLL_MS,
    rerouteOnUndelivered: config.SMS_REROUTE_ON_UNDELIVERED,
  };
}

export type RouteSkips = RoutePlan['skipped'];

/**
 * How messages are routed and what their workflows are told. Three callers: the workflow's own `prepareSend`, a
 * batch page for all its messages at once (one read of providers and usage for the page), and intake for a message
 * it starts at once, so that message's workflow goes straight to its provider.
 */
export function sendPlanning({ repos, policy }: { repos: Repositories; policy: SendPolicy }) {
  /**
   * Active providers by priority, skipping any at its daily limit or budget, with an open circuit, or known to lack
   * the prepaid points for the message (`pointsNeeded`: its segments).
   */
  const plannedRoute = async (pointsNeeded: number): Promise<{ routing: Pick<SendPlan, 'route' | 'unroutable' | 'shortOfCredit'>; skipped: RouteSkips }> => {
    const now = new Date();
    const [{ rows, circuits }, usage, balances] = await Promise.all([
      repos.providerDirectory.snapshot(),
      repos.providerDirectory.usageOn(startOfTaipeiDay(now)),
      // At most one read a second per process, plus what this process's sends reported since (no read per message).
      repos.balances.current(now.getTime()),
    ]);
    const plan = planRoute(
      rows.map((row) => routableProvider(row, usage.get(row._id), circuits.get(row._id), balances.get(row._id)?.points)),
      now,
      pointsNeeded,
    );
    const unroutable = unroutableReason(plan, pointsNeeded);
    const shortOfCredit = plan.skipped.filter((s) => s.reason === 'insufficient_balance').map((s) => s.provider);
    const routing = { route: plan.steps.map((s) => s.provider), ...(unroutable ? { unroutable } : shortOfCredit.length ? { shortOfCredit } : {}) };
    return { routing, skipped: plan.skipped };
  };
  /** The plan for a route; `template`: the message's, whose undecided A/B rule the workflow checks once it ends. */
  const planWith = (routing: Pick<SendPlan, 'route' | 'unroutable' | 'shortOfCredit'>, template: SmsTemplate | null): SendPlan => {
    const abTestTemplate = template?.winner_rule && !template.winner ? template.code : undefined;
    return { ...policy, ...routing, pollingProviders: [...POLLING_PROVIDERS], ...(abTestTemplate ? { abTestTemplate } : {}) };
  };
  const templateOf = async (templateCode?: string): Promise<SmsTemplate | null> => (templateCode ? repos.templates.getByCode(templateCode) : null);
  /**
   * The plan for a message of `segments` segments, with the providers skipped and why. A batch page plans its
   * messages, which differ in length, as one segment each; each send checks its own (provider activities).
   */
  const planSends = async (segments: number, templateCode?: string): Promise<{ plan: SendPlan; skipped: RouteSkips }> => {
    const [{ routing, skipped }, template] = await Promise.all([plannedRoute(segments), templateOf(templateCode)]);
    return { plan: planWith(routing, template), skipped };
  };
  return { plannedRoute, planWith, templateOf, planSends };
}

export type SendPlanner = ReturnType<typeof sendPlanning>;
