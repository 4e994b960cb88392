import type { ProviderName } from '../domain/sms';
import { fromHttpStatus, fromTransportError, maybeReceived, transportCode } from './errors';

/**
 * POSTs an x-www-form-urlencoded body (UTF-8) and returns the text reply. Every8d and Mitake answer HTTP 200
 * with the outcome in the body, so only transport failures and non-2xx statuses are classified here.
 */
export async function postForm(provider: ProviderName, url: string, fields: Record<string, string>, timeoutMs: number): Promise<string> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' },
      body: new URLSearchParams(fields).toString(),
      signal: AbortSignal.timeout(timeoutMs),
      // A redirect would carry the credentials in this body to a host nobody vetted: a 3xx is an error instead.
      redirect: 'manual',
    });
  } catch (err) {
    throw fromTransportError(provider, err);
  }
  if (!response.ok) throw fromHttpStatus(provider, response.status);
  try {
    return await response.text();
  } catch (err) {
    // It answered 2xx: it has the request, whatever broke the reply.
    const code = transportCode(err) ?? 'reply_lost';
    throw maybeReceived(provider, code, `the provider's reply was cut off (${code}); it may have accepted the message`);
  }
}

export const joinUrl = (base: string, path: string): string => `${base.replace(/\/+$/, '')}${path}`;
