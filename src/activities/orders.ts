import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { defaultContentPolicy, phoneLimits, quietWindows, type Config } from '../config';
import type { Repositories } from '../db';
import { messageTypeForTemplate } from '../domain/defaultTemplates';
import { DomainError } from '../domain/errors';
import { ORDER_TEXT_PRINCIPAL, ORDER_TEXT_REFUSED, orderTextKey } from '../domain/orderEvents';
import { parseTaiwanPhone } from '../domain/phone';
import { ContentPolicyService } from '../services/contentPolicy';
import { OptOutLedger } from '../services/optOuts';
import { PhoneBudget } from '../services/phoneBudget';
import type { SmsCancellation } from '../services/smsCancel';
import { SmsIntake, messageIdForKey } from '../services/smsIntake';
import { senderOf } from '../services/messageIdentity';
import { sendPlanning, sendPolicyOf } from '../services/sendPlanning';
import { BoundedTemporal } from '../temporal/boundedCalls';
import type { OrderActivities } from './types';

export interface OrderActivityDeps {
  repos: Repositories;
  intake: SmsIntake;
  cancellation: SmsCancellation;
}

/** The same intake the API uses for send-sms (budget, content policy, outbox), built for the worker. */
export function workerSmsIntake(config: Config, repos: Repositories, client: Client): SmsIntake {
  return new SmsIntake(
    repos.messages,
    repos.templates,
    new BoundedTemporal(client),
    repos.temporalOutbox,
    new PhoneBudget(repos.phoneCounters, phoneLimits(config), repos.alerts),
    () => repos.settings.quietHours(quietWindows(config)),
    new OptOutLedger(repos.optOuts, repos.audit),
    new ContentPolicyService(repos.settings, defaultContentPolicy(config)),
    sendPlanning({ repos, policy: sendPolicyOf(config) }),
  );
}

/** Activities of the order workflow (workflows/orderNotifications.ts). */
export function createOrderActivities({ repos, intake, cancellation }: OrderActivityDeps): OrderActivities {
  const recallMessage = async (messageId: string): Promise<'cancelled' | 'too_late'> => {
    const message = await repos.messages.findById(messageId);
    if (!message) return 'too_late'; // gone with retention: long sent
    try {
      return (await cancellation.cancel(message)).status === 'cancelled' ? 'cancelled' : 'too_late';
    } catch (err) {
      if (!(err instanceof DomainError) || err.kind !== 'conflict') throw err; // unreachable Temporal: worth retrying
      // Refused: a provider has it or it ended, which includes an earlier try of this activity cancelling it.
      return (await repos.messages.findById(messageId))?.status === 'cancelled' ? 'cancelled' : 'too_late';
    }
  };
  const refuse = (code: string, message: string) => ApplicationFailure.create({ type: ORDER_TEXT_REFUSED, message, nonRetryable: true, details: [{ code }] });

  return {
    async sendOrderText({ orderId, eventId, templateCode }) {
      const stored = await repos.orderEvents.get(eventId);
      if (!stored) throw refuse('event_missing', `order event ${eventId} is not stored`);
      const parsed = parseTaiwanPhone(stored.phone_e164);
      if (!parsed.ok) throw refuse('invalid_phone', parsed.reason);
      const key = orderTextKey(orderId, stored.event);
      try {
        const { message } = await intake.accept({
          phone: parsed.phone,
          content: { templateCode, templateData: stored.data },
          messageType: messageTypeForTemplate(templateCode),
          metadata: { order_id: orderId, order_event: stored.event },
          principalId: ORDER_TEXT_PRINCIPAL,
          // The client key that posted the event reads its text in sms-status and sms-logs, as the messages it sends.
          ...(stored.sender === undefined ? {} : { sentBy: senderOf(stored.sender) }),
          idempotencyKey: key,
        });
        return { messageId: message._id };
      } catch (err) {
        if (!(err instanceof DomainError) || err.kind === 'unavailable') throw err; // worth retrying
        // An earlier run of this order's workflow texted this event with other data: that text stands.
        if (err.code === 'idempotency_key_reused') return { messageId: messageIdForKey(ORDER_TEXT_PRINCIPAL, key) };
        throw refuse(err.code, err.message);
      }
    },

    async recallOrderTexts({ messageIds }) {
      return Object.fromEntries(await Promise.all(messageIds.map(async (id) => [id, await recallMessage(id)] as const)));
    },

    async forgetOrderEvents({ eventIds }) {
      await repos.orderEvents.removeAll(eventIds);
    },
  };
}
