/**
 * Which endpoints an admin may point a provider at. The worker POSTs credentials and customer texts there, so a
 * URL is an outbound channel: https only, to a host on that provider's allowlist; plain http and loopback (the
 * simulators) only in development. Pure: `isLoopback` looks at the name, never at DNS.
 */
export interface ProviderUrlPolicy {
  /** Host patterns per provider: `api.twilio.com` exactly, or `*.e8d.tw` for any subdomain. */
  allowedHosts: Record<string, string[]>;
  development: boolean;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

export function hostAllowed(host: string, patterns: string[]): boolean {
  const h = host.toLowerCase();
  return patterns.some((p) => {
    const pattern = p.trim().toLowerCase();
    return pattern.startsWith('*.') ? h.endsWith(pattern.slice(1)) && h.length > pattern.length - 1 : h === pattern;
  });
}

/** Why this URL may not be used for this provider, or undefined when it may. */
export function providerUrlProblem(provider: string, raw: string, policy: ProviderUrlPolicy): string | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be a URL';
  }
  if (url.username || url.password) return 'must not carry credentials in the URL';
  const loopback = LOOPBACK.test(url.hostname);
  if (loopback) return policy.development ? undefined : 'must not point at this machine in production';
  if (url.protocol !== 'https:') return 'must be https';
  const allowed = policy.allowedHosts[provider] ?? [];
  if (!hostAllowed(url.hostname, allowed)) return `host ${url.hostname} is not on ${provider.toUpperCase()}_ALLOWED_HOSTS (${allowed.join(', ') || 'empty'})`;
  return undefined;
}
