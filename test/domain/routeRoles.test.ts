import { createApp, type AppDeps } from '../../src/api/app';
import type { Role } from '../../src/domain/roles';

/**
 * Who may call each route is declared with the route (src/api/routeRoles.ts). The app is built in-process with
 * stub dependencies: authentication and the role check run before any handler, so a stub that fails later only
 * turns an allowed request into a 500, never into a 401 or 403.
 */
const app = createApp({
  repos: { apiKeys: { findActiveByToken: async (token: string) => ({ _id: `key-${token}`, role: token }) } },
  rateLimiter: { admitRequest: async () => undefined },
  // Never goes down: the request never waits on this.
  store: { down: false, untilDown: () => ({ promise: new Promise(() => undefined), cancel: () => undefined }) },
  codec: { codec: {}, corsOrigins: [] },
  webhookGuard: { trustedProxies: [] },
  log: { error: () => undefined, warn: () => undefined, info: () => undefined },
  production: false,
} as unknown as AppDeps);

/** Answered without a bearer token on purpose: probes, docs, the dashboard shell, and webhooks (their own auth). */
const PUBLIC = [
  'GET /healthz',
  'GET /readyz',
  'GET /openapi.json',
  'GET /docs',
  'GET /docs/assets/:name',
  'GET /dashboard',
  'GET /dashboard/assets/:name',
  'POST /api/v1/webhooks/sms/twilio',
  'POST /api/v1/webhooks/sms/twilio/inbound',
  'GET /api/v1/webhooks/sms/mitake',
  'POST /api/v1/webhooks/sms/mitake',
  'GET /api/v1/webhooks/sms/mitake/inbound',
  'POST /api/v1/webhooks/sms/mitake/inbound',
  'GET /api/v1/webhooks/sms/every8d',
  'POST /api/v1/webhooks/sms/every8d',
];

/** The regex table routes were checked against before roles moved onto the routes (first match wins; else admin). */
const TABLE_BEFORE: { method: string; path: RegExp; roles: Role[] }[] = [
  { method: 'POST', path: /^\/api\/v1\/notifications\/send-(bulk-)?sms$/, roles: ['sender'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/sms-status\//, roles: ['sender', 'viewer'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/sms-templates(\/[^/]+)?$/, roles: ['sender'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/(sms-logs|stats|batches|alerts)(\/|$)/, roles: ['sender', 'viewer'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/sms-templates\/[^/]+\/stats$/, roles: ['sender', 'viewer'] },
  { method: 'POST', path: /^\/codec\/(en|de)code$/, roles: ['sender', 'viewer'] },
  { method: 'GET', path: /^\/metrics$/, roles: ['viewer'] },
  { method: 'POST', path: /^\/api\/v1\/notifications\/batches\/[^/]+\/(pause|resume|cancel)$/, roles: ['sender'] },
  // Added with cancel and the lookup by reference (issue 13).
  { method: 'POST', path: /^\/api\/v1\/notifications\/sms\/[^/]+\/cancel$/, roles: ['sender'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/sms$/, roles: ['sender'] },
  // Issue 13 point 1: order events and timelines.
  { method: 'POST', path: /^\/api\/v1\/notifications\/order-events$/, roles: ['sender'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/orders\/[^/]+$/, roles: ['sender', 'viewer'] },
];
const allowedBefore = (role: Role, method: string, path: string) =>
  role === 'admin' || (TABLE_BEFORE.find((r) => r.method === method && r.path.test(path))?.roles.includes(role) ?? false);

const routes = [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];
const guarded = routes.filter((route) => !PUBLIC.includes(route));
const concrete = (path: string) => path.replace(/:[^/]+/g, 'x1');

async function call(route: string, token?: string) {
  const [method, path] = route.split(' ');
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  return app.request(concrete(path), { method, headers, ...(method === 'GET' ? {} : { body: '{}' }) });
}

describe('authorization declared with each route', () => {
  it('lists only registered routes as public', () => {
    expect(PUBLIC.filter((route) => !routes.includes(route))).toEqual([]);
  });

  it.each(guarded)('%s refuses a request without a bearer token', async (route) => {
    expect((await call(route)).status).toBe(401);
  });

  it.each(guarded.flatMap((route) => (['admin', 'sender', 'viewer'] as const).map((role) => [route, role] as const)))(
    '%s as %s: allowed exactly as the table before',
    async (route, role) => {
      const [method, path] = route.split(' ');
      const refused = (await call(route, role)).status === 403;
      expect(refused).toBe(!allowedBefore(role, method, concrete(path)));
    },
  );

  it('refuses non-admins a path no route declares (admin-only by default)', async () => {
    expect((await call('GET /api/v1/notifications/no-such-route', 'viewer')).status).toBe(403);
    expect((await call('GET /api/v1/notifications/no-such-route', 'admin')).status).toBe(404);
  });

  it('publishes the declared roles in the OpenAPI document as x-roles', async () => {
    const spec = (await (await app.request('/openapi.json')).json()) as { paths: Record<string, Record<string, { 'x-roles'?: string[] }>> };
    const operation = (path: string, method: string) => spec.paths[path][method]['x-roles'];
    expect(operation('/api/v1/notifications/send-sms', 'post')).toEqual(['admin', 'sender']);
    expect(operation('/api/v1/notifications/sms-status/{message_id}', 'get')).toEqual(['admin', 'sender', 'viewer']);
    expect(operation('/api/v1/api-keys', 'post')).toBeUndefined();
  });
});
