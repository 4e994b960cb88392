import { ActivityFailure, ApplicationFailure, TimeoutFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { CALLBACK_REFUSED, type CallbackActivities } from '../activities/callbackTypes';
import type { StatusCallbackInput, StatusCallbackOutcome } from '../domain/statusCallback';

/**
 * Retries with exponential back-off (1 s, 2 s, 4 s … capped at one hour between attempts) until the receiver
 * answers 2xx, refuses for good, or a day has passed. Each attempt is a short POST (the activity's own timeout is
 * 10 s); the start-to-close here is the backstop for a worker that died mid-call.
 */
export const CALLBACK_RETRY = { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 hour', nonRetryableErrorTypes: [CALLBACK_REFUSED] };

const delivery = proxyActivities<CallbackActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '24 hours',
  retry: CALLBACK_RETRY,
});

const record = proxyLocalActivities<CallbackActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * One status callback, workflow id `callback-<messageId>-<sequence>`. Separate from the message's own workflow, so
 * a slow or failing receiver never holds up a send and costs the SMS path no history events.
 */
export async function statusCallbackWorkflow(callback: StatusCallbackInput): Promise<StatusCallbackOutcome> {
  let outcome: StatusCallbackOutcome;
  try {
    const { httpStatus } = await delivery.postStatusCallback(callback);
    outcome = { outcome: 'delivered', httpStatus };
  } catch (err) {
    outcome = { outcome: 'gave_up', ...whyGivenUp(err) };
  }
  await record.recordCallbackOutcome({ callback, ...outcome });
  return outcome;
}

function whyGivenUp(err: unknown): { httpStatus?: number; reason: string } {
  if (!(err instanceof ActivityFailure)) throw err;
  const cause = err.cause;
  if (cause instanceof ApplicationFailure) {
    const details = (cause.details?.[0] ?? {}) as { httpStatus?: number };
    return { ...(details.httpStatus ? { httpStatus: details.httpStatus } : {}), reason: cause.message };
  }
  if (cause instanceof TimeoutFailure) return { reason: 'no successful delivery within 24 hours' };
  return { reason: cause?.message ?? 'delivery failed' };
}
