import type { TaiwanPhone } from './phone';

/** Longest provider error text kept and shown to clients; a vendor page or an echoed request stops here. */
export const MAX_ERROR_TEXT = 200;

/**
 * A provider's error text as clients may see it (`sms-status` attempts, workflow failures): any credential we sent
 * is blanked, as given and URL-encoded, since a provider (or a host posing as one) may echo our request back; the
 * recipient's number is masked in every form we send it in (Twilio's 21211 text names the `To` number, and a viewer
 * sees numbers masked everywhere else); control characters go, and the rest is cut to MAX_ERROR_TEXT characters.
 */
export function publicErrorText(text: string, secrets: string[], phone?: TaiwanPhone): string {
  let safe = text;
  for (const secret of secrets.filter((s) => s && s.length >= 4)) {
    for (const form of new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)]))
      safe = safe.split(form).join('[redacted]');
  }
  if (phone) {
    // Longest first: the bare `886…` is inside the `+886…`, which is inside the URL-encoded `%2B886…`.
    for (const form of [encodeURIComponent(phone.e164), phone.e164, phone.e164.slice(1), phone.national]) safe = safe.split(form).join(phone.masked);
  }
  safe = safe.replace(/[\u0000-\u001F\u007F]+/g, ' ').trim();
  const chars = Array.from(safe);
  return chars.length > MAX_ERROR_TEXT ? `${chars.slice(0, MAX_ERROR_TEXT - 1).join('')}…` : safe;
}
