import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import type { EarlyReceiptRepository } from '../db/earlyReceipts';
import type { MessageRepository } from '../db/messages';
import type { WebhookDisposition, WebhookEventRepository } from '../db/webhookEvents';
import { MESSAGE_ID_PATTERN, workflowIdFor, type DeliveryReport, type ProviderName } from '../domain/sms';
import { metrics } from '../metrics';
import { deliveryReportSignal } from '../workflows';

export interface IncomingReceipt {
  provider: ProviderName;
  method: string;
  fields: Record<string, string>;
  /** Our id, when the callback URL carried it (Twilio, Mitake). */
  messageId?: string;
  providerMessageId?: string;
  /** Undefined for intermediate statuses that are not receipts (Twilio `sent`, Every8d `0`). */
  report?: Omit<DeliveryReport, 'receivedAt'>;
}

const MAX_FIELDS = 50;
const MAX_VALUE = 2_000;

/**
 * Stores every receipt as received and hands it to the message's workflow as a signal. Unknown, finished and
 * repeated receipts are stored and acknowledged: providers retry on errors, and retrying cannot help them.
 */
export class ReceiptIntake {
  constructor(
    private readonly messages: MessageRepository,
    private readonly events: WebhookEventRepository,
    private readonly temporal: Client,
    private readonly early: EarlyReceiptRepository,
  ) {}

  async accept(receipt: IncomingReceipt): Promise<WebhookDisposition> {
    let messageId = await this.resolveMessageId(receipt);
    if (!messageId && receipt.report) {
      // Possibly early: the send may not be recorded yet (Every8d answers with its BatchID, and may push the
      // receipt before we stored it). Held first, then looked up again: see db/earlyReceipts.ts for why this order.
      await this.early.hold({ ...receipt.report, receivedAt: new Date().toISOString() });
      messageId = await this.resolveMessageId(receipt);
    }
    const disposition = await this.deliver(receipt, messageId);
    metrics().receipts.inc({ provider: receipt.provider, disposition });
    await this.events.record({
      provider: receipt.provider,
      received_at: new Date(),
      method: receipt.method,
      payload: Object.entries(receipt.fields)
        .slice(0, MAX_FIELDS)
        .map(([name, value]) => ({ name: name.slice(0, 100), value: value.slice(0, MAX_VALUE) })),
      message_id: messageId,
      provider_message_id: receipt.providerMessageId ?? receipt.report?.providerMessageId,
      disposition,
    });
    return disposition;
  }

  private async resolveMessageId(receipt: IncomingReceipt): Promise<string | undefined> {
    if (receipt.messageId && MESSAGE_ID_PATTERN.test(receipt.messageId)) return receipt.messageId;
    const providerMessageId = receipt.providerMessageId ?? receipt.report?.providerMessageId;
    if (!providerMessageId) return undefined;
    return this.messages.findIdByProviderMessageId(receipt.provider, providerMessageId);
  }

  private async deliver(receipt: IncomingReceipt, messageId: string | undefined): Promise<WebhookDisposition> {
    if (!receipt.report) return 'ignored';
    const message = messageId ? await this.messages.findById(messageId) : null;
    if (!message) return 'unknown_message';
    if (message.finished_at) return 'message_finished';
    try {
      await this.temporal.workflow
        .getHandle(workflowIdFor(message._id))
        .signal(deliveryReportSignal, { ...receipt.report, receivedAt: new Date().toISOString() });
      return 'signalled';
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return 'message_finished';
      throw err;
    }
  }
}
