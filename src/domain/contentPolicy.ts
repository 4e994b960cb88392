/**
 * Taiwan's commercial-SMS rules (NCC, carriers, from 2025-11-01): a registered sender identity (`【幸福氣】`) opens
 * every message, and links and call-back numbers in marketing must be registered. Pure: intake, batches and
 * templates check with the same functions.
 */
export interface ContentPolicy {
  /** The registered sender identity, e.g. `【幸福氣】`. */
  sender_identity: string;
  /** What happens to a text without it: `prepend` (with a warning) or `reject` (422). */
  missing_identity: 'prepend' | 'reject';
  /** Registered link domains; a subdomain of one counts as registered. */
  link_domains: string[];
  /** Registered call-back numbers, any format (compared by digits). */
  callback_numbers: string[];
}

export type IdentityResult = { ok: true; body: string; prepended: boolean } | { ok: false; problem: string };

export function withSenderIdentity(body: string, policy: Pick<ContentPolicy, 'sender_identity' | 'missing_identity'>): IdentityResult {
  const identity = policy.sender_identity;
  if (!identity || body.startsWith(identity)) return { ok: true, body, prepended: false };
  if (policy.missing_identity === 'reject') return { ok: false, problem: `must start with the registered sender identity ${identity}` };
  return { ok: true, body: `${identity}${body}`, prepended: true };
}

/** `prepend` answers say so: segments and cost are counted on the text as sent. */
export const prependedWarning = (identity: string) => `the registered sender identity ${identity} was prepended; segments are counted with it`;

// A link: a scheme, or www., or a bare domain with a common top-level domain (carriers treat all three as links).
const LINK = /\b(?:https?:\/\/)?((?:[a-z0-9-]+\.)+(?:com|net|org|tw|io|co|cc|me|info|biz|app|link|ly|gl|to|page)(?:\.[a-z]{2})?)\b(?:\/[^\s，。]*)?/gi;
// A Taiwan phone number as written in a text: 0800/landline/mobile, or +886, with optional separators.
const PHONE = /(?:\+886[\s-]?|\b0)\d(?:[\s-]?\d){6,9}\b/g;

const digitsOf = (n: string) => n.replace(/\D/g, '').replace(/^886/, '0');

/** Links and call-back numbers in a text that are not registered, each as written, so an answer can name them. */
export function unregisteredContent(body: string, policy: Pick<ContentPolicy, 'link_domains' | 'callback_numbers'>): { links: string[]; numbers: string[] } {
  const domains = policy.link_domains.map((d) => d.toLowerCase().replace(/^\.+/, ''));
  const links = [...body.matchAll(LINK)]
    .filter((m) => {
      const host = m[1].toLowerCase();
      return !domains.some((d) => host === d || host.endsWith(`.${d}`));
    })
    .map((m) => m[0]);
  const registered = new Set(policy.callback_numbers.map(digitsOf));
  const numbers = [...body.matchAll(PHONE)].map((m) => m[0]).filter((n) => !registered.has(digitsOf(n)));
  return { links: [...new Set(links)], numbers: [...new Set(numbers)] };
}

/** One sentence naming what is unregistered, or undefined when everything in the text is registered. */
export function unregisteredProblem(body: string, policy: Pick<ContentPolicy, 'link_domains' | 'callback_numbers'>): string | undefined {
  const { links, numbers } = unregisteredContent(body, policy);
  const parts = [
    ...(links.length ? [`unregistered link ${links.join(', ')}`] : []),
    ...(numbers.length ? [`unregistered call-back number ${numbers.join(', ')}`] : []),
  ];
  return parts.length ? `contains ${parts.join(' and ')} (register it in settings/content-policy)` : undefined;
}
