/** Longest provider error text kept and shown to clients; a vendor page or an echoed request stops here. */
export const MAX_ERROR_TEXT = 200;

/**
 * A provider's error text as clients may see it (`sms-status` attempts, workflow failures): any credential we sent
 * is blanked, as given and URL-encoded, since a provider (or a host posing as one) may echo our request back;
 * control characters go, and the rest is cut to MAX_ERROR_TEXT characters.
 */
export function publicErrorText(text: string, secrets: string[]): string {
  let safe = text;
  for (const secret of secrets.filter((s) => s && s.length >= 4)) {
    for (const form of new Set([secret, encodeURIComponent(secret), new URLSearchParams({ s: secret }).toString().slice(2)]))
      safe = safe.split(form).join('[redacted]');
  }
  safe = safe.replace(/[\u0000-\u001F\u007F]+/g, ' ').trim();
  const chars = Array.from(safe);
  return chars.length > MAX_ERROR_TEXT ? `${chars.slice(0, MAX_ERROR_TEXT - 1).join('')}…` : safe;
}
