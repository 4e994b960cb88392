import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Repositories } from '../db';
import { startOfTaipeiDay } from '../domain/taipeiTime';
import type { ProviderName } from '../domain/sms';
import { metrics } from '../metrics';
import { applyWinnerRule } from '../services/templateStats';
import { MessageRepository, type SmsMessage } from '../db/messages';
import { sendPlanning, type SendPolicy } from '../services/sendPlanning';
import type { BookkeepingActivities } from './types';

type RecordSentInput = Parameters<BookkeepingActivities['recordSent']>[0];

interface RecordSentOptions {
  /** The message as the caller (the send activity, its single writer) last wrote it, which saves reading it again. */
  known?: SmsMessage;
  /** When the calling activity started, so the provider settings it already read serve again (see ProviderDirectory). */
  notBefore?: number;
  /** False for a retry that must not count the send again (see the `recordSent` activity). */
  mayCharge?: boolean;
}

export interface BookkeepingDeps {
  repos: Repositories;
  policy: SendPolicy;
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
 * Records an accepted send and counts it in the provider's day.
 */
export async function recordSent(repos: Repositories, input: RecordSentInput, { known, notBefore, mayCharge = true }: RecordSentOptions = {}): Promise<void> {
  const { messageId, ...sent } = input;
  const message = known ?? (await repos.messages.findById(messageId));
  // Counted before the send is recorded: a failure in between counts it again on the retry (a stricter daily limit),
  // where the other order lost the count for good and let a provider past its limit and budget.
  const charge = message && mayCharge ? MessageRepository.chargeFor(message, sent) : undefined;
  if (charge) await countDailyUsage(repos, sent.provider, charge.cost, charge.points, notBefore);
  const charged = await repos.messages.markSent(messageId, sent, message ?? undefined);
  if (charged !== undefined) metrics().messagesByStatus.inc({ provider: sent.provider, status: 'sent' });
}

/**
 * Cancels a message no provider has been given, from its workflow or its cancelled batch; counted once. Only its
 * workflow knows that a call left open on record is over (`openCallEnded`, see MessageRepository.markCancelled).
 */
export async function cancelMessage(repos: Repositories, messageId: string, options?: { openCallEnded: boolean }): Promise<boolean> {
  const cancelled = await repos.messages.markCancelled(messageId, options);
  if (cancelled) metrics().messagesByStatus.inc({ provider: 'none', status: 'cancelled' });
  return cancelled;
}

/** MongoDB writes of the SMS workflow; each is guarded by the expected state, so a retried activity is harmless. */
export function createBookkeepingActivities({ repos, policy }: BookkeepingDeps): BookkeepingActivities {
  const { planSends, planWith, templateOf } = sendPlanning({ repos, policy });
  /** Test sends: that provider only, active or not (so a new account can be tried before it takes traffic). */
  const forcedRoute = async (provider: ProviderName): Promise<ProviderName[]> => ((await repos.providerDirectory.config(provider)) ? [provider] : []);

  return {
    async prepareSend({ messageId }) {
      // Admitting counts the message in the figures, once, as its workflow takes it on.
      const message = await repos.messages.admit(messageId);
      if (!message) throw ApplicationFailure.nonRetryable(`message ${messageId} not found`, 'MessageNotFound');
      // A scheduled message whose time has come is waiting for a provider like any other from here on.
      if (message.status === 'scheduled') await repos.messages.markDue(messageId);
      if (message.forced_provider) return planWith({ route: await forcedRoute(message.forced_provider) }, await templateOf(message.template_code));
      const { plan, skipped } = await planSends(message.segments, message.template_code);
      if (skipped.length) {
        log.info('providers skipped', { messageId, skipped });
        await repos.messages.recordRouteSkips(messageId, skipped);
      }
      return plan;
    },

    async admitScheduled({ messageId }) {
      if (!(await repos.messages.admit(messageId))) throw ApplicationFailure.nonRetryable(`message ${messageId} not found`, 'MessageNotFound');
    },

    // Called once the provider call is over: the gate's scope waits for the activity's cancellation to complete.
    async markCancelled({ messageId }) {
      if (await cancelMessage(repos, messageId, { openCallEnded: true })) return {};
      // Refused: ended already, or a provider's acceptance is on record (the call got through after all).
      const message = await repos.messages.findById(messageId);
      if (message?.status !== 'sent' || !message.provider || !message.provider_message_id) return {};
      return { acceptedBy: { provider: message.provider, providerMessageId: message.provider_message_id } };
    },

    // The workflow's fallback after the send activity could not record (it counted the send first, most likely).
    // Only its first attempt counts again: a record that keeps failing for minutes is retried without limit, and
    // counting on every try would pass the provider's daily limit for nothing. So a send counts at most twice, and
    // is lost from the count only if the usage write failed in both places.
    recordSent: (input) => recordSent(repos, input, { mayCharge: Context.current().info.attempt === 1 }),

    async recordAttemptFailed({ messageId, provider, code, message, ambiguous }) {
      await repos.messages.recordAttemptFailed(messageId, provider, { code, message, ambiguous });
    },

    async recordReceipt({ messageId, report, final }) {
      // Before the record, safely: the receipt is in the workflow's history, so a retry of this step still has it.
      if (report.heldEarly) await repos.earlyReceipts.forget(report);
      if (await repos.messages.applyDeliveryReport(messageId, report, final))
        metrics().messagesByStatus.inc({ provider: report.provider, status: report.outcome });
    },

    async markFinal({ messageId, status, code, message }) {
      if (await repos.messages.markFinal(messageId, status, { code, message })) metrics().messagesByStatus.inc({ provider: 'none', status });
    },

    async applyWinnerRule({ templateCode }) {
      const winner = await applyWinnerRule(repos, templateCode);
      if (winner) log.info('A/B winner declared', { template: templateCode, winner });
      return winner ? { winner } : {};
    },
  };
}
