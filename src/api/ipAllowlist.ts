import { BlockList, isIP } from 'node:net';

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
