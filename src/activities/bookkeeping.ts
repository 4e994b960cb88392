import { ApplicationFailure, log } from '@temporalio/activity';
import type { Repositories } from '../db';
import { planRoute, startOfTaipeiDay } from '../domain/routing';
import { POLLING_PROVIDERS } from '../providers';
import type { BookkeepingActivities } from './types';

export interface BookkeepingDeps {
  repos: Repositories;
  policy: { sendTimeoutMs: number; attemptsPerProvider: number; receiptTimeoutMs: number; receiptPollMs: number; rerouteOnUndelivered: boolean };
}

/** MongoDB writes of the SMS workflow; each is guarded by the expected state, so a retried activity is harmless. */
export function createBookkeepingActivities({ repos, policy }: BookkeepingDeps): BookkeepingActivities {
  return {
    async prepareSend({ messageId }) {
      const message = await repos.messages.findById(messageId);
      if (!message) throw ApplicationFailure.nonRetryable(`message ${messageId} not found`, 'MessageNotFound');
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
      return { ...policy, route: plan.steps.map((s) => s.provider), pollingProviders: [...POLLING_PROVIDERS] };
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
  };
}
