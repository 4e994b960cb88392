import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Repositories } from '../db';
import type { SmsMessage } from '../db/messages';
import type { TaiwanPhone } from '../domain/phone';
import type { ProviderName } from '../domain/sms';
import { createProvider } from '../providers';
import { ProviderError, fromTransportError } from '../providers/errors';
import type { ProviderActivities } from './types';

export interface ProviderActivityDeps {
  repos: Repositories;
  /** Base URL of our webhooks as providers reach them. */
  webhookBaseUrl: string;
  timeoutMs: number;
}

/** Failure types the workflow branches on (see workflows/sendSms.ts). */
const failureType = (e: ProviderError): string =>
  e.scope === 'message' ? 'MessageRejected' : e.retryable ? 'ProviderTransient' : 'ProviderUnavailable';

/** Activities that talk to providers; they run on each provider's rate-limited task queue. */
export function createProviderActivities({ repos, webhookBaseUrl, timeoutMs }: ProviderActivityDeps): ProviderActivities {
  const adapterFor = async (provider: ProviderName) => {
    const config = await repos.providers.get(provider);
    if (!config) throw ApplicationFailure.nonRetryable(`provider ${provider} is not configured`, 'ProviderUnavailable', { code: 'not_configured' });
    return { config, adapter: createProvider(config, { timeoutMs }) };
  };

  return {
    async sendViaProvider({ messageId, provider }) {
      const message = await repos.messages.findById(messageId);
      if (!message) throw ApplicationFailure.nonRetryable(`message ${messageId} not found`, 'MessageRejected', { code: 'not_found' });
      const { config, adapter } = await adapterFor(provider);
      const { attempt } = Context.current().info;
      const interrupted = await repos.messages.recordAttemptStarted(messageId, provider, attempt);
      if (interrupted) {
        // An earlier attempt died mid-call (worker crash): the provider may already have the message.
        log.warn('resending after an unfinished attempt; the customer may receive a duplicate', { messageId, provider });
      }
      try {
        const accepted = await adapter.send({
          messageId,
          phone: phoneOf(message),
          body: message.body,
          receiptUrl: `${webhookBaseUrl}/api/v1/webhooks/sms/${provider}?message_id=${encodeURIComponent(messageId)}`,
        });
        return { ...accepted, pricePerSegment: config.price_per_segment };
      } catch (err) {
        const error = err instanceof ProviderError ? err : fromTransportError(provider, err);
        log.warn('provider send failed', { messageId, provider, code: error.code, retryable: error.retryable, scope: error.scope });
        await repos.messages.recordAttemptFailed(messageId, provider, { code: error.code, message: error.message, ambiguous: error.ambiguous });
        throw ApplicationFailure.create({
          type: failureType(error),
          message: error.message,
          nonRetryable: !error.retryable,
          details: [{ code: error.code, ambiguous: error.ambiguous }],
        });
      }
    },

    async fetchReceipt({ messageId, provider, providerMessageId }) {
      const message = await repos.messages.findById(messageId);
      const { adapter } = await adapterFor(provider);
      if (!message || !adapter.fetchReceipt) return undefined;
      const report = await adapter.fetchReceipt(providerMessageId, phoneOf(message));
      return report && { ...report, receivedAt: new Date().toISOString() };
    },
  };
}

function phoneOf(message: SmsMessage): TaiwanPhone {
  return { e164: message.phone_e164, national: message.phone_national, masked: message.phone_masked, kind: message.phone_kind };
}
