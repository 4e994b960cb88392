import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { isInternalAddress } from '../domain/callbackUrls';

/** The receiver's answer to one POST; `status` 0 never happens: transport problems throw CallbackTransportError. */
export interface PostAnswer {
  status: number;
}

/** No answer: refused, reset, timed out, or the name resolved to an address we may not call. */
export class CallbackTransportError extends Error {
  constructor(
    message: string,
    /** True when trying again cannot help (an internal address in production). */
    readonly permanent = false,
  ) {
    super(message);
  }
}

/**
 * In production a name is resolved here and the connection goes to the address just checked: a host that
 * resolves to an internal address (now, or after a DNS change since the URL was accepted: rebinding) is refused
 * before any byte is sent, and the check and the connection cannot see different answers.
 */
function publicOnlyLookup(): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const internal = addresses.find((a) => isInternalAddress(a.address));
      if (internal || addresses.length === 0) {
        const refusal = new CallbackTransportError(`${hostname} resolves to an internal address`, true);
        return callback(refusal as NodeJS.ErrnoException, '', 0);
      }
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

/** POSTs `body` with `headers`; never follows redirects (a 3xx is the answer). The response body is ignored. */
export function postJson(url: string, body: string, headers: Record<string, string>, options: { timeoutMs: number; publicOnly: boolean }): Promise<PostAnswer> {
  const target = new URL(url);
  const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      target,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'LuckyGas-SMS-Callbacks/1',
          ...headers,
        },
        timeout: options.timeoutMs,
        ...(options.publicOnly ? { lookup: publicOnlyLookup() } : {}),
      },
      (res) => {
        res.resume(); // drain and discard: only the status matters
        res.on('end', () => resolve({ status: res.statusCode ?? 0 }));
        res.on('error', (err) => reject(new CallbackTransportError(err.message)));
      },
    );
    req.on('timeout', () => req.destroy(new CallbackTransportError(`no answer within ${options.timeoutMs} ms`)));
    req.on('error', (err) => reject(err instanceof CallbackTransportError ? err : new CallbackTransportError(err.message)));
    req.end(body);
  });
}
