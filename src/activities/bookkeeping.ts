import { ApplicationFailure, log } from '@temporalio/activity';
import type { Repositories } from '../db';
import { planRoute, unroutableReason, type RoutePlan } from '../domain/routing';
import { routableProvider } from '../db/providerDirectory';
import { startOfTaipeiDay } from '../domain/taipeiTime';
import type { ProviderName } from '../domain/sms';
import { metrics } from '../metrics';
import { POLLING_PROVIDERS } from '../providers';
import { applyWinnerRule } from '../services/templateStats';
import type { SmsMessage } from '../db/messages';
import type { BookkeepingActivities, SendPlan } from './types';

type RecordSentInput = Parameters<BookkeepingActivities['recordSent']>[0];

export interface BookkeepingDeps {
  repos: Repositories;
  policy: { sendTimeoutMs: number; attemptsPerProvider: number; receiptTimeoutMs: number; receiptPollMs: number; rerouteOnUndelivered: boolean };
}

/** Adds a send to the provider's day and audits the moment it reaches its daily message limit or budget. */
async function countDailyUsage(repos: Repositories, provider: ProviderName, cost: number, points: number, notBefore?: number): Promise<void> {
  // The points ride on the same counter write: the balance forecast's daily spend costs no extra round trip.
  const usage = await repos.providerHealth.addSend(provider, startOfTaipeiDay(new Date()), cost, points);
  const row = (await repos.providerDirectory.snapshot(notBefore)).rows.find((r) => r._id === provider);
  if (!row) return;
  const hitLimit = row.daily_limit > 0 && usage.messages === row.daily_limit;
  const hitBudget = row.daily_budget > 0 && usage.spend >= row.daily_budget && usage.spend - cost < row.daily_budget;
  if (hitLimit || hitBudget) {
    log.warn('provider reached its daily limit; routing skips it until tomorrow (Asia/Taipei)', { provider, messages: usage.messages, spend: usage.spend });
    await repos.audit.record({
      actor: 'system',
      action: hitLimit ? 'provider.daily_limit_reached' : 'provider.daily_budget_reached',
      target: { type: 'provider', id: provider },
      after: { messages: usage.messages, spend: usage.spend, daily_limit: row.daily_limit, daily_budget: row.daily_budget },
    });
  }
}

/**
 * Records an accepted send and counts it in the provider's day. `known`: the message as the caller (the send
 * activity, its single writer) last wrote it, which saves reading it again; `notBefore`: when the calling activity
 * started, so the provider settings it already read serve again (see ProviderDirectory).
 */
export async function recordSent(repos: Repositories, input: RecordSentInput, known?: SmsMessage, notBefore?: number): Promise<void> {
  const { messageId, provider, providerMessageId, pricePerSegment, reportedCost, duplicate } = input;
  const charged = await repos.messages.markSent(messageId, { provider, providerMessageId, pricePerSegment, reportedCost, duplicate }, known);
  if (charged === undefined) return;
  metrics().messagesByStatus.inc({ provider, status: 'sent' });
  await countDailyUsage(repos, provider, charged.cost, charged.points, notBefore);
}

/**
 * How messages are routed and what their workflows are told: for one message (`prepareSend`) or for a batch page's
 * messages at once (`planSends`: one read of providers and usage for the page instead of one per message).
 */
export function sendPlanning({ repos, policy }: BookkeepingDeps) {
  /**
   * Active providers by priority, skipping any at its daily limit or budget, with an open circuit, or known to lack
   * the prepaid points for the message (`pointsNeeded`: its segments).
   */
  const plannedRoute = async (pointsNeeded: number): Promise<{ routing: Pick<SendPlan, 'route' | 'unroutable'>; skipped: RoutePlan['skipped'] }> => {
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
    return { routing: { route: plan.steps.map((s) => s.provider), ...(unroutable ? { unroutable } : {}) }, skipped: plan.skipped };
  };
  const planWith = async (routing: Pick<SendPlan, 'route' | 'unroutable'>, templateCode?: string): Promise<SendPlan> => {
    const template = templateCode ? await repos.templates.getByCode(templateCode) : null;
    const abTestTemplate = template?.winner_rule && !template.winner ? template.code : undefined;
    return { ...policy, ...routing, pollingProviders: [...POLLING_PROVIDERS], ...(abTestTemplate ? { abTestTemplate } : {}) };
  };
  /** A page's messages differ in length: planned for one segment; each send checks its own (provider activities). */
  const planSends = async (templateCode?: string): Promise<SendPlan> => {
    const { routing, skipped } = await plannedRoute(1);
    if (skipped.length) log.info('providers skipped for a batch page', { skipped });
    return planWith(routing, templateCode);
  };
  return { plannedRoute, planWith, planSends };
}

/** MongoDB writes of the SMS workflow; each is guarded by the expected state, so a retried activity is harmless. */
export function createBookkeepingActivities({ repos, policy }: BookkeepingDeps): BookkeepingActivities {
  const { plannedRoute, planWith } = sendPlanning({ repos, policy });
  /** Test sends: that provider only, active or not (so a new account can be tried before it takes traffic). */
  const forcedRoute = async (provider: ProviderName): Promise<ProviderName[]> => ((await repos.providerDirectory.config(provider)) ? [provider] : []);

  return {
    async prepareSend({ messageId }) {
      // Admitting counts the message in the figures, once, as its workflow takes it on.
      const message = await repos.messages.admit(messageId);
      if (!message) throw ApplicationFailure.nonRetryable(`message ${messageId} not found`, 'MessageNotFound');
      // A scheduled message whose time has come is waiting for a provider like any other from here on.
      if (message.status === 'scheduled') await repos.messages.markDue(messageId);
      if (message.forced_provider) return planWith({ route: await forcedRoute(message.forced_provider) }, message.template_code);
      const { routing, skipped } = await plannedRoute(message.segments);
      if (skipped.length) {
        log.info('providers skipped', { messageId, skipped });
        await repos.messages.recordRouteSkips(messageId, skipped);
      }
      return planWith(routing, message.template_code);
    },

    async admitScheduled({ messageId }) {
      if (!(await repos.messages.admit(messageId))) throw ApplicationFailure.nonRetryable(`message ${messageId} not found`, 'MessageNotFound');
    },

    async markCancelled({ messageId }) {
      await repos.messages.markCancelled(messageId);
      metrics().messagesByStatus.inc({ provider: 'none', status: 'cancelled' });
    },

    recordSent: (input) => recordSent(repos, input),

    async recordAttemptFailed({ messageId, provider, code, message, ambiguous }) {
      await repos.messages.recordAttemptFailed(messageId, provider, { code, message, ambiguous });
    },

    async recordReceipt({ messageId, report, final }) {
      if (await repos.messages.applyDeliveryReport(messageId, report, final))
        metrics().messagesByStatus.inc({ provider: report.provider, status: report.outcome });
    },

    async markFinal({ messageId, status, code, message }) {
      await repos.messages.markFinal(messageId, status, { code, message });
      metrics().messagesByStatus.inc({ provider: 'none', status });
    },

    async applyWinnerRule({ templateCode }) {
      const winner = await applyWinnerRule(repos, templateCode);
      if (winner) log.info('A/B winner declared', { template: templateCode, winner });
      return winner ? { winner } : {};
    },
  };
}
