import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { verify } from 'hono/jwt';
import type { ApiKeyRepository } from '../db/apiKeys';
import { ROLES, isAllowed, type Role } from '../domain/roles';
import { ApiError } from '../errors';

export type { Role };

export interface Principal {
  /** API key id or `jwt:<sub>`: what audit entries, idempotency keys and rate limits are scoped to. */
  id: string;
  role: Role;
  /** Requests per minute allowed for this principal, when it differs from the default. */
  rateLimitPerMinute?: number;
}

export type AuthEnv = { Variables: { principal: Principal } };

export interface AuthDeps {
  apiKeys: ApiKeyRepository;
  jwtSecret?: string;
}

const unauthorized = (message: string, error = 'invalid_token') =>
  new ApiError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': `Bearer error="${error}"` });

/** Bearer authentication (API key or HS256 JWT), then the role check for this method and path. */
export function authenticate(deps: AuthDeps): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
    if (!match) throw new ApiError(401, 'unauthorized', 'Missing bearer token: send "Authorization: Bearer <token>"', undefined, { 'WWW-Authenticate': 'Bearer' });
    const principal = await principalFor(match[1], deps);
    if (!isAllowed(principal.role, c.req.method, c.req.path)) {
      throw new ApiError(403, 'forbidden', `The ${principal.role} role may not ${c.req.method} ${c.req.path}`);
    }
    c.set('principal', principal);
    await next();
  };
}

async function principalFor(token: string, deps: AuthDeps): Promise<Principal> {
  if (token.split('.').length === 3) return principalFromJwt(token, deps.jwtSecret);
  const key = await deps.apiKeys.findActiveByToken(token);
  if (!key) throw unauthorized('Invalid or revoked API key');
  return { id: key._id, role: key.role, rateLimitPerMinute: key.rate_limit_per_minute };
}

async function principalFromJwt(token: string, secret: string | undefined): Promise<Principal> {
  if (!secret) throw unauthorized('JWTs are not accepted by this deployment');
  let claims: Record<string, unknown>;
  try {
    claims = await verify(token, secret, 'HS256');
  } catch (err) {
    const expired = (err as Error).name === 'JwtTokenExpired';
    throw unauthorized(expired ? 'The JWT has expired' : 'The JWT signature or claims are invalid');
  }
  if (typeof claims.exp !== 'number') throw unauthorized('The JWT must carry an exp claim');
  if (typeof claims.sub !== 'string' || !claims.sub) throw unauthorized('The JWT must carry a sub claim');
  if (!ROLES.includes(claims.role as Role)) throw unauthorized(`The JWT role claim must be one of ${ROLES.join(', ')}`);
  return { id: `jwt:${claims.sub}`, role: claims.role as Role };
}

/** Constant-time comparison for shared secrets (webhook tokens). */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
