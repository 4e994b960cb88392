import type { Server } from 'node:http';
import type { MiddlewareHandler } from 'hono';

/**
 * An error answer may be sent before the request body was read (413 from the body limit, 401 before a handler runs,
 * 429 …). On a keep-alive connection the unread rest of that body would then be parsed as the client's next
 * request, and a pooled client (Node's fetch, most HTTP libraries) sees a socket error on its next call. Closing
 * the connection after such an answer costs the client one reconnect, only on errors.
 */
export function closeAfterErrorWithBody(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const hasBody = c.req.header('content-length') ? c.req.header('content-length') !== '0' : c.req.header('transfer-encoding') !== undefined;
    if (hasBody && c.res.status >= 400) c.res.headers.set('Connection', 'close');
  };
}

/**
 * Server timeouts, chosen rather than inherited:
 * - headers within 20 s: a client that trickles headers (slowloris) cannot hold a socket for Node's default minute;
 * - a whole request within 120 s: enough for the largest bulk upload (32 MiB) on a slow link, far less than Node's
 *   default 5 minutes;
 * - idle keep-alive connections kept 65 s: longer than the 60 s idle timeout of common load balancers, so the
 *   balancer, not us, closes first and never sends a request onto a socket we are closing.
 */
export const SERVER_TIMEOUTS = { headersTimeoutMs: 20_000, requestTimeoutMs: 120_000, keepAliveTimeoutMs: 65_000 };

export function applyServerTimeouts(server: Pick<Server, 'headersTimeout' | 'requestTimeout' | 'keepAliveTimeout'>): void {
  server.headersTimeout = SERVER_TIMEOUTS.headersTimeoutMs;
  server.requestTimeout = SERVER_TIMEOUTS.requestTimeoutMs;
  server.keepAliveTimeout = SERVER_TIMEOUTS.keepAliveTimeoutMs;
}
