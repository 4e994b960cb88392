import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { FINAL_STATUSES } from '../domain/sms';
import { cancelMessageUpdate } from './signals';
import type { SmsWorkflowState } from './sendSms';

/** Update rejection type: a provider already has (or may have) the message, or it has ended. */
export const TOO_LATE_TO_CANCEL = 'TooLateToCancel';

/** What may stop a message before a provider call: the sender's cancel or the end of its validity. */
export type Stop = 'cancelled' | 'expired';

/**
 * Decides, inside the workflow, whether a message may still be cancelled. A cancel is accepted only until the
 * first provider call is scheduled (`handOver`), and the send path checks for an accepted cancel right before
 * that call: workflow code runs one step at a time, so exactly one of the two wins, whatever arrives when.
 */
export class SendGate {
  private cancelRequested = false;
  /** A provider call was scheduled, or the workflow is ending another way: cancels are refused from here on. */
  private closed = false;

  constructor(
    private readonly state: SmsWorkflowState,
    /** Epoch ms after which the message must not reach a provider (the caller's `valid_until`). */
    private readonly validUntilMs?: number,
  ) {
    setHandler(
      cancelMessageUpdate,
      async () => {
        this.cancelRequested = true;
        // Answer once the workflow has stored the cancel, so the caller reads `cancelled` right after.
        await condition(() => this.state.status === 'cancelled');
        return { status: 'cancelled' as const };
      },
      {
        validator: () => {
          if (this.closed || FINAL_STATUSES.includes(this.state.status)) {
            throw ApplicationFailure.nonRetryable(`the message is already ${this.state.status}`, TOO_LATE_TO_CANCEL);
          }
        },
      },
    );
  }

  get cancelled(): boolean {
    return this.cancelRequested;
  }

  /** Resolves early when a cancel arrives; true when it did. */
  waitForCancel(timeoutMs: number): Promise<boolean> {
    return condition(() => this.cancelRequested, Math.max(timeoutMs, 1));
  }

  /**
   * Called right before each provider call: a reason not to make it, or undefined, after which cancels are refused.
   * Synchronous on purpose: nothing can interleave between this check and scheduling the call.
   */
  beforeProvider(): Stop | undefined {
    if (this.cancelRequested) return 'cancelled';
    this.closed = true;
    if (this.validUntilMs !== undefined && Date.now() >= this.validUntilMs) return 'expired';
    return undefined;
  }

  /** The workflow is ending without a cancel (failed, expired): a cancel accepted now would never be served. */
  close(): void {
    this.closed = true;
  }
}
