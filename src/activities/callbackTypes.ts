import type { StatusCallbackInput, StatusCallbackOutcome } from '../domain/statusCallback';

/** Error type of a POST the receiver refused for good (4xx other than 408/429): not retried. */
export const CALLBACK_REFUSED = 'CallbackRefused';

export interface CallbackActivities {
  /** One signed POST; resolves on 2xx, throws a retryable failure on 5xx/408/429/network, CALLBACK_REFUSED otherwise. */
  postStatusCallback(input: StatusCallbackInput): Promise<{ httpStatus: number }>;
  recordCallbackOutcome(input: { callback: StatusCallbackInput } & StatusCallbackOutcome): Promise<void>;
}
