import { ApplicationFailure, log } from '@temporalio/activity';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signCallback } from '../client/callbackSignature';
import type { Repositories } from '../db';
import { callbackUrlProblem, type CallbackUrlPolicy } from '../domain/callbackUrls';
import type { StatusCallbackInput } from '../domain/statusCallback';
import { CallbackTransportError, postJson } from '../services/callbackPost';
import { CALLBACK_REFUSED, type CallbackActivities } from './callbackTypes';

export interface CallbackDeps {
  repos: Pick<Repositories, 'apiKeys' | 'callbackLog'>;
  policy: CallbackUrlPolicy;
  /** One POST may take this long; the workflow retries after it. */
  timeoutMs: number;
}

/** Answers that may succeed later: request timeout and too many requests (and every 5xx). */
const RETRYABLE_4XX = new Set([408, 429]);

/** Delivers status callbacks: one signed POST per attempt; the workflow owns the retries and their back-off. */
export function createCallbackActivities({ repos, policy, timeoutMs }: CallbackDeps): CallbackActivities {
  const identity = (c: StatusCallbackInput) => ({
    _id: c.callbackId,
    message_id: c.payload.message_id,
    sequence: c.payload.sequence,
    status: c.payload.status,
    host: hostOf(c.url),
  });

  /** Gives up for good: recorded by the workflow with this reason. */
  const refuse = (message: string, httpStatus?: number) => ApplicationFailure.nonRetryable(message, CALLBACK_REFUSED, httpStatus ? { httpStatus } : {});

  return {
    async postStatusCallback(callback) {
      // Checked again at send time: the rules (or APP_ENV) may have changed since the message was accepted.
      const problem = callbackUrlProblem(callback.url, policy);
      if (problem) throw refuse(`callback_url ${problem}`);
      const secret = await repos.apiKeys.callbackSecret(callback.keyId);
      if (!secret) throw refuse(`API key ${callback.keyId} has no callback secret (revoked, or made before callbacks)`);
      const body = JSON.stringify(callback.payload);
      // A fresh timestamp per attempt: a retry hours later still passes the receiver's replay window.
      const timestamp = String(Math.floor(Date.now() / 1000));
      const headers = { [TIMESTAMP_HEADER]: timestamp, [SIGNATURE_HEADER]: signCallback(secret, timestamp, body) };
      let status: number;
      try {
        ({ status } = await postJson(callback.url, body, headers, { timeoutMs, publicOnly: !policy.development }));
      } catch (err) {
        const transport = err instanceof CallbackTransportError ? err : new CallbackTransportError(String(err));
        if (transport.permanent) throw refuse(transport.message);
        await repos.callbackLog.recordFailedAttempt(identity(callback), { message: transport.message });
        throw ApplicationFailure.retryable(`callback POST failed: ${transport.message}`, 'CallbackUnreachable');
      }
      if (status >= 200 && status < 300) return { httpStatus: status };
      if (status >= 500 || RETRYABLE_4XX.has(status)) {
        await repos.callbackLog.recordFailedAttempt(identity(callback), { message: `HTTP ${status}`, httpStatus: status });
        log.info('status callback answered with a retryable status', { callback: callback.callbackId, status });
        throw ApplicationFailure.create({ message: `receiver answered HTTP ${status}`, type: 'CallbackRetry', details: [{ httpStatus: status }] });
      }
      throw refuse(`receiver answered HTTP ${status}${status < 400 ? ' (redirects are not followed)' : ''}`, status);
    },

    async recordCallbackOutcome({ callback, ...outcome }) {
      await repos.callbackLog.recordOutcome(identity(callback), outcome);
      if (outcome.outcome === 'gave_up') log.warn('status callback given up', { callback: callback.callbackId, reason: outcome.reason });
    },
  };
}

const hostOf = (url: string): string => {
  try {
    return new URL(url).host;
  } catch {
    return 'invalid';
  }
};
