import { z } from '@hono/zod-openapi';
import type { MessageCallback } from '../db/messages';
import { MAX_CALLBACK_URL_LENGTH, callbackUrlProblem, type CallbackUrlPolicy } from '../domain/callbackUrls';
import { DomainError } from '../domain/errors';
import type { Principal } from './auth';

/** `callback_url` on send-sms and send-bulk-sms: null turns the key's default off for this request. */
export const CallbackUrlInput = z.string().max(MAX_CALLBACK_URL_LENGTH).nullable().optional().openapi({
  description:
    "Each status change of the message is POSTed here as signed JSON (see docs/api.md, Status callbacks). Default: the API key's callback_url; null: none. https only (http to this machine in development).",
  example: 'https://orders.luckygas.com.tw/sms/status',
});

const invalid = (code: string, message: string) => new DomainError('invalid', code, `callback_url: ${message}`, [{ field: 'callback_url', message }]);

/** Checks a callback URL an admin or a caller gives; throws a 422 naming `field`. */
export function assertCallbackUrl(url: string, policy: CallbackUrlPolicy, field = 'callback_url'): void {
  const problem = callbackUrlProblem(url, policy);
  if (problem) throw new DomainError('invalid', 'validation_failed', `${field}: ${problem}`, [{ field, message: problem }]);
}

/**
 * Where a request's messages report their status changes, and which key signs them: the request's callback_url,
 * else the key's default. Callbacks are signed with the API key's own secret, so only API keys that have one can
 * ask for them (a JWT caller has no key; a key made before callbacks gets a secret from the admin API first).
 */
export function callbackFor(principal: Principal, requested: string | null | undefined, policy: CallbackUrlPolicy): MessageCallback | undefined {
  if (requested === null) return undefined;
  const url = requested ?? principal.callbacks?.defaultUrl;
  if (url === undefined) return undefined;
  if (requested !== undefined) assertCallbackUrl(requested, policy);
  if (!principal.callbacks?.canSign)
    throw invalid(
      'callback_secret_missing',
      principal.id.startsWith('jwt:')
        ? 'callbacks are signed with an API key secret: send with an API key'
        : 'this API key has no callback secret yet: an admin makes one with POST /api/v1/api-keys/{id}/callback-secret',
    );
  return { url, key_id: principal.id };
}
