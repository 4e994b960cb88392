import { WithStartWorkflowOperation, WorkflowExecutionAlreadyStartedError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import type { MessageRepository, SmsMessage } from '../db/messages';
import { DomainError } from '../domain/errors';
import { CANCELLABLE_STATUSES, workflowIdFor } from '../domain/sms';
import { sendWorkflowOptions } from '../temporal/starts';
import { sendSmsWorkflow } from '../workflows';
import { cancelMessageUpdate } from '../workflows/signals';

/** Long enough for the workflow to store the cancel (one workflow task and a MongoDB write) on a loaded worker. */
const CANCEL_WAIT_MS = 15_000;
/** Beyond a provider call under way, for its record and the cancel's. */
const AFTER_CALL_MS = 5_000;

const tooLate = (m: Pick<SmsMessage, 'status'>) =>
  new DomainError('conflict', 'not_cancellable', `The message is already ${m.status}: only a message no provider has been given can be cancelled`);

/**
 * Cancels a message that no provider has been given. The message's workflow decides (a Temporal Update, see
 * workflows/sendGate.ts), so a cancel racing the provider call either wins (before the call, while it waits in the
 * provider's queue, or when the call fails) or is refused once the provider accepted it, and the message is sent
 * normally; the stored status alone cannot tell, since the call runs inside the worker.
 */
export class SmsCancellation {
  /** How long an answer may wait: a provider call under way ends within its timeout. */
  private readonly waitMs: number;

  constructor(
    private readonly messages: MessageRepository,
    private readonly temporal: Client,
    /** SMS_PROVIDER_TIMEOUT_MS. */
    providerTimeoutMs: number,
  ) {
    this.waitMs = Math.max(CANCEL_WAIT_MS, providerTimeoutMs + AFTER_CALL_MS);
  }

  /**
   * The message as stored after the cancel; DomainError `conflict` when it is too late. A message `sending` is asked
   * too: the call under way decides (SendGate), so a cancel during a provider outage stops the failover to the next
   * provider, and the answer waits for the call (it ends within the provider timeout).
   */
  async cancel(message: SmsMessage): Promise<SmsMessage> {
    if (message.finished_at || !(CANCELLABLE_STATUSES.includes(message.status) || message.status === 'sending')) throw tooLate(message);
    try {
      await this.askWorkflow(message, () => this.temporal.workflow.getHandle(workflowIdFor(message._id)).executeUpdate(cancelMessageUpdate));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      // Not started yet (the outbox relay was going to: Temporal was unreachable at intake; a paused batch had not
      // reached it), or it has just closed. Started together with the cancel, so the cancel is in its first workflow
      // task, ahead of any provider call: a start, then a separate update, would race the send and mostly lose.
      const now = await this.messages.findById(message._id);
      if (!now || now.finished_at) throw tooLate(now ?? message);
      const startWorkflowOperation = new WithStartWorkflowOperation(sendSmsWorkflow, sendWorkflowOptions(now));
      await this.askWorkflow(now, () => this.temporal.workflow.executeUpdateWithStart(cancelMessageUpdate, { startWorkflowOperation })).catch((again) => {
        throw again instanceof WorkflowNotFoundError ? tooLate(now) : again;
      });
    }
    const after = await this.messages.findById(message._id);
    return after ?? message;
  }

  private async askWorkflow(message: SmsMessage, update: () => Promise<unknown>): Promise<void> {
    try {
      await this.withDeadline(update);
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        // Refused by the workflow: a provider call has started, or the message ended meanwhile.
        throw tooLate((await this.messages.findById(message._id)) ?? message);
      }
      if (err instanceof WorkflowNotFoundError) throw err;
      // Its workflow has closed since the message was read (a start with the cancel is refused then).
      if (err instanceof WorkflowExecutionAlreadyStartedError) throw tooLate((await this.messages.findById(message._id)) ?? message);
      throw new DomainError('unavailable', 'temporal_unavailable', 'The message could not be reached to cancel it right now; retry shortly', undefined, 5);
    }
  }

  private withDeadline<T>(call: () => Promise<T>): Promise<T> {
    return this.temporal.connection.withDeadline(Date.now() + this.waitMs, call);
  }
}
