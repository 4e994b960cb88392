import type { ProviderName } from './sms';

/**
 * Provider endpoints as operators write them. The adapters keep a base URL and add each call's path themselves
 * (Every8d sends and polls, Mitake sends, Twilio through its SDK), while the integration document and vendor
 * consoles give full endpoint URLs such as `https://api.e8d.tw/SMS/BulkSMS`. A URL ending in a path the provider
 * is known to serve is cut back to its base; any other path is kept as a prefix (a proxy in front of the vendor).
 */
const KNOWN_ENDPOINT_PATHS: Record<ProviderName, RegExp> = {
  // API 2.1 (`/API21/HTTP/sendSMS.ashx`, `getDeliveryStatus.ashx`, ConnectionHandler, …) and the document's `/SMS/BulkSMS`.
  every8d: /\/(API21(\/.*)?|SMS\/BulkSMS)$/i,
  // `/api/mtk/SmSend`, `SmQuery`, `SmBulkSend`, …
  mitake: /\/api\/mtk(\/[A-Za-z]+)?$/i,
  // `/2010-04-01/Accounts/AC…/Messages.json`
  twilio: /\/2010-04-01(\/.*)?$/,
};

export type EndpointResult = { ok: true; base: string; derived: boolean } | { ok: false; reason: string };

export function endpointBase(provider: ProviderName, given: string): EndpointResult {
  let url: URL;
  try {
    url = new URL(given);
  } catch {
    return { ok: false, reason: 'must be an http(s) URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: 'must be an http(s) URL' };
  // Credentials belong in the encrypted config fields, never in a URL that is stored and shown in plain text.
  if (url.username || url.password) return { ok: false, reason: 'must not contain a user name or password; use config.username / config.password' };
  if (url.hash) return { ok: false, reason: 'must not contain a #fragment' };
  const path = url.pathname.replace(/\/+$/, '');
  const stripped = path.replace(KNOWN_ENDPOINT_PATHS[provider], '');
  // The adapters add their own query strings (e.g. Mitake's CharsetURL=UTF8), so one on the given URL is dropped.
  const base = `${url.origin}${stripped}`;
  return { ok: true, base, derived: base !== given.replace(/\/+$/, '') };
}
