export const ROLES = ['admin', 'sender', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

type Method = 'GET' | 'POST' | 'PUT' | 'DELETE' | '*';

/**
 * Who may call what, first match wins; anything unlisted is admin-only. `admin` may do everything.
 * sender: send, status, templates read, order events. viewer: read-only status, logs, stats, order timelines.
 */
const RULES: { method: Method; path: RegExp; roles: Role[] }[] = [
  { method: 'POST', path: /^\/api\/v1\/notifications\/send-(bulk-)?sms$/, roles: ['sender'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/sms-status\//, roles: ['sender', 'viewer'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/sms-templates(\/[^/]+)?$/, roles: ['sender'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/(sms-logs|stats|batches|alerts)(\/|$)/, roles: ['sender', 'viewer'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/sms-templates\/[^/]+\/stats$/, roles: ['sender', 'viewer'] },
  { method: 'POST', path: /^\/codec\/(en|de)code$/, roles: ['sender', 'viewer'] },
  { method: 'GET', path: /^\/metrics$/, roles: ['viewer'] },
  { method: 'POST', path: /^\/api\/v1\/notifications\/batches\/[^/]+\/(pause|resume|cancel)$/, roles: ['sender'] },
  { method: 'POST', path: /^\/api\/v1\/notifications\/order-events$/, roles: ['sender'] },
  { method: 'GET', path: /^\/api\/v1\/notifications\/orders\/[^/]+$/, roles: ['sender', 'viewer'] },
];

export function isAllowed(role: Role, method: string, path: string): boolean {
  if (role === 'admin') return true;
  const rule = RULES.find((r) => (r.method === '*' || r.method === method) && r.path.test(path));
  return rule ? rule.roles.includes(role) : false;
}
