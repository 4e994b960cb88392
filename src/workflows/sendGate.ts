import { ApplicationFailure, CancellationScope, condition, setHandler } from '@temporalio/workflow';
import { FINAL_STATUSES } from '../domain/sms';
import { cancelMessageUpdate } from './signals';
import type { SmsWorkflowState } from './sendSms';

/** Update rejection type: a provider already has (or may have) the message, or it has ended. */
export const TOO_LATE_TO_CANCEL = 'TooLateToCancel';

/** What may stop a message before a provider call: the sender's cancel or the end of its validity. */
export type Stop = 'cancelled' | 'expired';

/**
 * Decides, inside the workflow, whether a message may still be cancelled. Workflow code runs one step at a time, so
 * exactly one of "cancelled" and "a provider has it" happens, whatever arrives when:
 * - before a provider call, a cancel is accepted, and the send path checks for it right before the call;
 * - while a provider call is scheduled (`providerCall`), a cancel is accepted too and passed to Temporal as the
 *   activity's cancellation. A call still waiting in its provider's queue (behind the rate limit, a campaign's
 *   backlog) is then dropped by the server and never reaches a worker: the message ends cancelled. A call a worker
 *   already runs is left to finish, and its outcome decides: accepted by the provider, the cancel is refused;
 *   not accepted, the message ends cancelled instead of trying the next provider;
 * - once a provider accepted the message, or the workflow ends another way, cancels are refused.
 */
export class SendGate {
  private cancelRequested = false;

  /** Why cancels are refused from here on: a provider has the message, or the workflow is ending another way. */
  private refusal?: string;

  /** The provider call in progress, so an accepted cancel can ask Temporal to drop it. */
  private call?: CancellationScope;

  constructor(
    private readonly state: SmsWorkflowState,
    /** Epoch ms after which the message must not reach a provider (the caller's `valid_until`). */
    private readonly validUntilMs?: number,
  ) {
    setHandler(
      cancelMessageUpdate,
      async () => {
        this.cancelRequested = true;
        this.call?.cancel();
        // Answer once the workflow has stored the cancel, so the caller reads `cancelled` right after; or refuse
        // once a provider call it could not stop has been accepted.
        await condition(() => this.state.status === 'cancelled' || this.refusal !== undefined);
        if (this.state.status !== 'cancelled') throw tooLate(this.refusal ?? `the message is already ${this.state.status}`);
        return { status: 'cancelled' as const };
      },
      {
        validator: () => {
          if (this.refusal) throw tooLate(this.refusal);
          if (FINAL_STATUSES.includes(this.state.status)) throw tooLate(`the message is already ${this.state.status}`);
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
   * Called right before each provider call: a reason not to make it, or undefined. Synchronous on purpose: nothing
   * can interleave between this check and scheduling the call.
   */
  beforeProvider(): Stop | undefined {
    if (this.cancelRequested) return 'cancelled';
    if (this.validUntilMs !== undefined && Date.now() >= this.validUntilMs) {
      this.close('the message expired before a provider had it');
      return 'expired';
    }
    return undefined;
  }

  /**
   * Runs one provider activity so that a cancel accepted meanwhile can stop it (see the class comment). The
   * activity must be scheduled with `WAIT_CANCELLATION_COMPLETED`: the workflow then learns whether the call ran.
   * `cancelled` when a cancel stopped it or it failed after one, so the caller ends the message cancelled.
   */
  async providerCall<T>(run: () => Promise<T>): Promise<{ accepted: T } | { cancelled: true; failure?: unknown }> {
    const scope = new CancellationScope();
    this.call = scope;
    try {
      const accepted = await scope.run(run);
      this.close('a provider has accepted the message'); // a cancel accepted meanwhile is refused
      return { accepted };
    } catch (err) {
      if (!this.cancelRequested) throw err;
      return { cancelled: true, failure: err };
    } finally {
      this.call = undefined;
    }
  }

  /** No cancel from here on (`why` tells the caller): a provider has the message, or the workflow is ending. */
  close(why: string): void {
    this.refusal ??= why;
  }
}

const tooLate = (message: string) => ApplicationFailure.nonRetryable(message, TOO_LATE_TO_CANCEL);
