import { ApplicationFailure, log } from '@temporalio/activity';
import type { Repositories } from '../db';
import { planRoute, startOfTaipeiDay } from '../domain/routing';
import type { ProviderName } from '../domain/sms';
import { POLLING_PROVIDERS } from '../providers';
import { applyWinnerRule } from '../services/templateStats';
import type { BookkeepingActivities } from './types';

export interface BookkeepingDeps {
  repos: Repositories;
  policy: { sendTimeoutMs: number; attemptsPerProvider: number; receiptTimeoutMs: number; receiptPollMs: number; rerouteOnUndelivered: boolean };
}

/** MongoDB writes of the SMS workflow; each is guarded by the expected state, so a retried activity is harmless. */
export function createBookkeepingActivities({ repos, policy }: BookkeepingDeps): BookkeepingActivities {
  /** Active providers by priority, skipping any at its daily limit (Asia/Taipei day). */
  const plannedRoute = async (messageId: string): Promise<ProviderName[]> => {
    const today = startOfTaipeiDay(new Date());
    const rows = await repos.providers.list();
    const candidates = await Promise.all(
      rows.map(async (row) => ({
        name: row._id,
        isActive: row.is_active,
        priority: row.priority,
        dailyLimit: row.daily_limit,
        sentToday: row.daily_limit > 0 ? await repos.messages.countSentSince(row._id, today) : 0,
      })),
    );
    const plan = planRoute(candidates);
    if (plan.skipped.length) log.info('providers skipped', { messageId, skipped: plan.skipped });
    return plan.steps.map((s) => s.provider);
  };
  /** Test sends: that provider only, active or not (so a new account can be tried before it takes traffic). */
  const forcedRoute = async (provider: ProviderName): Promise<ProviderName[]> => ((await repos.providers.get(provider)) ? [provider] : []);

  return {
    async prepareSend({ messageId }) {
      const message = await repos.messages.findById(messageId);
      if (!message) throw ApplicationFailure.nonRetryable(`message ${messageId} not found`, 'MessageNotFound');
      const route = message.forced_provider ? await forcedRoute(message.forced_provider) : await plannedRoute(messageId);
      const template = message.template_code ? await repos.templates.getByCode(message.template_code) : null;
      const abTestTemplate = template?.winner_rule && !template.winner ? template.code : undefined;
      return { ...policy, route, pollingProviders: [...POLLING_PROVIDERS], ...(abTestTemplate ? { abTestTemplate } : {}) };
    },

    async recordSent({ messageId, provider, providerMessageId, pricePerSegment, reportedCost, duplicate }) {
      await repos.messages.markSent(messageId, { provider, providerMessageId, pricePerSegment, reportedCost, duplicate });
    },

    async recordAttemptFailed({ messageId, provider, code, message, ambiguous }) {
      await repos.messages.recordAttemptFailed(messageId, provider, { code, message, ambiguous });
    },

    async recordReceipt({ messageId, report, final }) {
      await repos.messages.applyDeliveryReport(messageId, report, final);
    },

    async markFinal({ messageId, status, code, message }) {
      await repos.messages.markFinal(messageId, status, { code, message });
    },

    async applyWinnerRule({ templateCode }) {
      const winner = await applyWinnerRule(repos, templateCode);
      if (winner) log.info('A/B winner declared', { template: templateCode, winner });
      return winner ? { winner } : {};
    },
  };
}
