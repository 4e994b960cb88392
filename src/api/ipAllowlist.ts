import { BlockList, isIP } from 'node:net';

/**
 * The address a request came from. X-Forwarded-For is believed only when the connection comes from a configured
 * trusted proxy, and then read from the right: the first address not itself a trusted proxy is the client (entries
 * further left were written by the client and prove nothing).
 */
export function clientAddress(remote: string, forwardedFor: string | undefined, trustedProxies: string[]): string {
  const trusted = (address: string) => trustedProxies.some((entry) => ipMatches(address, entry));
  if (!forwardedFor || !trusted(remote)) return remote;
  const hops = forwardedFor
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (let i = hops.length - 1; i >= 0; i--) if (!trusted(hops[i])) return hops[i];
  return hops[0] ?? remote;
}

/** True when `address` equals an allowlist entry or falls inside its CIDR range (IPv4 or IPv6). */
export function ipMatches(address: string, entry: string): boolean {
  const plain = address.replace(/^::ffff:/, ''); // IPv4 clients on a dual-stack socket
  const [network, prefix] = entry.split('/');
  const family = isIP(network) === 6 ? 'ipv6' : 'ipv4';
  if (!isIP(plain) || !isIP(network)) return false;
  const list = new BlockList();
  if (prefix === undefined) list.addAddress(network, family);
  else list.addSubnet(network, Number(prefix), family);
  return list.check(plain, isIP(plain) === 6 ? 'ipv6' : 'ipv4');
}
