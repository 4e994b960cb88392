import { randomUUID } from 'node:crypto';
import type { EarlyReceiptRepository } from '../db/earlyReceipts';
import type { MessageRepository, SmsMessage } from '../db/messages';
import type { WebhookDisposition, WebhookEvent, WebhookEventRepository } from '../db/webhookEvents';
import type { TemporalOutbox } from '../db/temporalOutbox';
import { MESSAGE_ID_PATTERN, type DeliveryReport, type ProviderName } from '../domain/sms';
import { metrics } from '../metrics';
import type { BoundedTemporal } from '../temporal/boundedCalls';
import { signalReceipt, startLateReceiptWorkflow } from '../temporal/starts';
import { takesLateReceipt } from '../domain/lateReceipts';

export interface IncomingReceipt {
  provider: ProviderName;
  method: string;
  fields: Record<string, string>;
  /** Our id, when the callback carried it (Twilio's and Mitake's URL, Every8d's SUBJECT). */
  messageId?: string;
  providerMessageId?: string;
  /** Undefined for intermediate statuses that are not receipts (Twilio `sent`, Every8d `0`). */
  report?: Omit<DeliveryReport, 'receivedAt'>;
}

const MAX_FIELDS = 50;
const MAX_VALUE = 2_000;
/** Providers' message ids are 34 characters (Twilio) or a UUID (Every8d) at most. */
const MAX_ID = 200;

/**
 * Stores every receipt as received and hands it to the message's workflow as a signal. Unknown, finished and
 * repeated receipts are stored and acknowledged: providers retry on errors, and retrying cannot help them. While
 * Temporal is unreachable the receipt waits in the outbox and the relay signals it later.
 */
export class ReceiptIntake {
  constructor(
    private readonly messages: MessageRepository,
    private readonly events: WebhookEventRepository,
    private readonly temporal: BoundedTemporal,
    private readonly early: EarlyReceiptRepository,
    private readonly outbox: TemporalOutbox,
  ) {}

  async accept(receipt: IncomingReceipt): Promise<WebhookDisposition> {
    let messageId = await this.resolveMessageId(receipt);
    let held: DeliveryReport | undefined;
    if (!messageId && receipt.report) {
      // Possibly early: the send may not be recorded yet (an Every8d receipt without our id names only its BatchID,
      // and may come before we stored it). Held first, then looked up again: see db/earlyReceipts.ts for why.
      held = { ...receipt.report, receivedAt: new Date().toISOString() };
      await this.early.hold(held);
      messageId = await this.resolveMessageId(receipt);
    }
    const disposition = await this.deliver(receipt, messageId);
    // Found after all and signalled: the workflow has it, so the held copy can go (else the receipt's record removes it).
    if (held && disposition === 'signalled') await this.early.forget(held).catch(() => undefined);
    metrics().receipts.inc({ provider: receipt.provider, disposition });
    await this.events.record(rowOf(receipt, messageId, disposition));
    return disposition;
  }

  /**
   * While the store is down. A receipt that names its message (Twilio's and Mitake's URL, Every8d's SUBJECT) needs
   * no lookup: it goes straight to its workflow, whose receipt step writes the message once the store is back, and
   * its webhook row waits in memory until then. Twilio does not resend a status callback that was answered 503, so
   * this is what keeps its receipts through an outage. Anything else needs the store (`needs_store`, answered 503):
   * a receipt naming only a provider id, or one whose workflow is not running (finished or unknown, which only
   * the store tells apart). Mitake and Every8d resend on errors, and the poll finds what they do not.
   */
  async acceptWithoutStore(receipt: IncomingReceipt): Promise<WebhookDisposition | 'needs_store'> {
    const messageId = namedMessageId(receipt);
    let disposition: WebhookDisposition | 'needs_store' = 'needs_store';
    if (!receipt.report) disposition = 'ignored';
    else if (messageId && (await this.signal(messageId, receipt.report)).signalled) disposition = 'signalled';
    if (disposition === 'needs_store') return disposition;
    metrics().receipts.inc({ provider: receipt.provider, disposition });
    this.events.recordWhenStoreIsBack(rowOf(receipt, messageId, disposition));
    return disposition;
  }

  private async resolveMessageId(receipt: IncomingReceipt): Promise<string | undefined> {
    const named = namedMessageId(receipt);
    if (named) return named;
    const providerMessageId = receipt.providerMessageId ?? receipt.report?.providerMessageId;
    if (!providerMessageId) return undefined;
    return this.messages.findIdByProviderMessageId(receipt.provider, providerMessageId);
  }

  /**
   * Signals first and reads the message only when that did not reach a running workflow: a batch's receipts nearly
   * all find theirs running, and a read per receipt was a round trip for nothing. A signal to an unknown id reaches
   * no workflow either, so an unknown or forged id is told apart from a finished message by the read afterwards.
   */
  private async deliver(receipt: IncomingReceipt, messageId: string | undefined): Promise<WebhookDisposition> {
    if (!receipt.report) return 'ignored';
    if (!messageId) return 'unknown_message';
    const { report, signalled, temporalAnswered } = await this.signal(messageId, receipt.report);
    if (signalled) return 'signalled';
    const message = await this.messages.findById(messageId);
    if (!message) return 'unknown_message';
    if (takesLateReceipt(message, report)) return this.applyLate(message, report);
    if (temporalAnswered || message.finished_at) return 'message_finished';
    // Temporal is down: keep the receipt for the relay and acknowledge it, as the provider would not resend it.
    await this.defer(message._id, report);
    return 'deferred';
  }

  /**
   * The message ended `expired`, yet here is its receipt: the worker applies it (lateReceiptWorkflow). While
   * Temporal is down it waits in the outbox like any receipt, and the relay hands it on.
   */
  private async applyLate(message: SmsMessage, report: DeliveryReport): Promise<WebhookDisposition> {
    const started = await this.temporal.call((client) => startLateReceiptWorkflow(client, message, report));
    if (started.ok) return 'applied_late';
    await this.defer(message._id, report);
    return 'deferred';
  }

  /** Keeps the receipt for the outbox relay, which signals it (or applies it late) once Temporal answers. */
  private async defer(messageId: string, report: DeliveryReport): Promise<void> {
    await this.outbox.add({ _id: `receipt:${messageId}:${randomUUID()}`, kind: 'receipt', message_id: messageId, report, queued_at: new Date() });
    metrics().startsDeferred.inc({ kind: 'receipt' });
  }

  /** Hands the report, stamped now, to the message's workflow: `signalled` when a running workflow took it. */
  private async signal(messageId: string, received: Omit<DeliveryReport, 'receivedAt'>) {
    const report: DeliveryReport = { ...received, receivedAt: new Date().toISOString() };
    const result = await this.temporal.call((client) => signalReceipt(client, messageId, report));
    return { report, signalled: result.ok && result.value === 'signalled', temporalAnswered: result.ok };
  }
}

/** Our id as the callback carried it (Twilio's and Mitake's URL, Every8d's SUBJECT), if it is one. */
function namedMessageId(receipt: IncomingReceipt): string | undefined {
  return receipt.messageId && MESSAGE_ID_PATTERN.test(receipt.messageId) ? receipt.messageId : undefined;
}

/** The receipt as received, bounded: a hostile provider-side caller cannot make a row of any size. */
function rowOf(receipt: IncomingReceipt, messageId: string | undefined, disposition: WebhookDisposition): WebhookEvent {
  return {
    provider: receipt.provider,
    received_at: new Date(),
    method: receipt.method,
    payload: Object.entries(receipt.fields)
      .slice(0, MAX_FIELDS)
      .map(([name, value]) => ({ name: name.slice(0, 100), value: value.slice(0, MAX_VALUE) })),
    message_id: messageId,
    provider_message_id: (receipt.providerMessageId ?? receipt.report?.providerMessageId)?.slice(0, MAX_ID),
    disposition,
  };
}
