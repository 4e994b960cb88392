import { BlockList, isIP } from 'node:net';

/**
 * Which URLs a caller may have its status callbacks POSTed to. The worker sends there on the caller's behalf, so a
 * URL is a way into our network: https only, and never an internal address in production. Development also allows
 * http to this machine (a receiver beside `npm start`). Pure: hosts given by name are checked again, resolved, at
 * send time (see services/callbackPost.ts), which also blocks DNS rebinding.
 */
export interface CallbackUrlPolicy {
  development: boolean;
}

export const MAX_CALLBACK_URL_LENGTH = 2_048;

const LOOPBACK_NAMES = /^(localhost|.*\.localhost)$/i;
/** Names that only resolve inside a network: refused in production before any lookup. */
const INTERNAL_NAMES = /(^[^.]+$)|\.(local|internal|intranet|lan|home|corp|localdomain)$/i;

const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // carrier-grade NAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, cloud metadata endpoints
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 3], // multicast and reserved, up to 255.255.255.255
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128],
  ['::1', 128],
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  INTERNAL.addSubnet(net, prefix, 'ipv6');

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** An IPv4 address written as IPv6 (`::ffff:10.0.0.1`, or NAT64 `64:ff9b::a00:1`) is judged as the IPv4 address. */
function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|64:ff9b::)(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (dotted) return dotted[1];
  const hex = /^(?:::ffff:|64:ff9b::)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(address);
  if (!hex) return undefined;
  const [hi, lo] = [Number.parseInt(hex[1], 16), Number.parseInt(hex[2], 16)];
  return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
}

function inList(list: BlockList, address: string): boolean {
  const bare = address.replace(/^\[|\]$/g, '');
  const v4 = embeddedIpv4(bare);
  if (v4) return list.check(v4, 'ipv4');
  const family = isIP(bare);
  if (family === 0) return false;
  return list.check(bare, family === 4 ? 'ipv4' : 'ipv6');
}

/** True for private, loopback, link-local, multicast and other addresses that are not on the public internet. */
export const isInternalAddress = (address: string): boolean => inList(INTERNAL, address);

const isLoopbackHost = (host: string): boolean => LOOPBACK_NAMES.test(host) || inList(LOOPBACK, host);

/** Why this URL may not receive status callbacks, or undefined when it may. */
export function callbackUrlProblem(raw: string, policy: CallbackUrlPolicy): string | undefined {
  if (raw.length > MAX_CALLBACK_URL_LENGTH) return `must be at most ${MAX_CALLBACK_URL_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return 'must be an absolute URL';
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return 'must be https';
  if (url.username || url.password) return 'must not carry credentials in the URL (the signature authenticates us)';
  if (url.hash) return 'must not have a #fragment';
  const host = url.hostname;
  if (isLoopbackHost(host)) return policy.development ? undefined : 'must not point at this machine in production';
  if (url.protocol !== 'https:') return policy.development ? 'must be https (http only to this machine, in development)' : 'must be https';
  if (policy.development) return undefined;
  if (isIP(host.replace(/^\[|\]$/g, '')) ? isInternalAddress(host) : INTERNAL_NAMES.test(host)) return 'must not point at an internal address in production';
  return undefined;
}
