import { timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getConnInfo } from '@hono/node-server/conninfo';
import { verify } from 'hono/jwt';
import type { ApiKeyRepository } from '../db/apiKeys';
import { ROLES, type Role } from '../domain/roles';
import type { MessageType } from '../domain/sms';
import { ApiError } from '../errors';
import { clientAddress, ipMatches } from './ipAllowlist';
import { mayCall } from './routeRoles';

export type { Role };

export interface Principal {
  /** API key id or `jwt:<sub>`: what audit entries, idempotency keys and rate limits are scoped to. */
  id: string;
  /** The API key's name or the JWT subject: recorded on the messages it sends (`sent_by`). */
  name?: string;
  role: Role;
  /** Requests per minute allowed for this principal, when it differs from the default. */
  rateLimitPerMinute?: number;
  /** The message types it may send, when its API key is limited to some (api/messageTypes.ts). */
  messageTypes?: readonly MessageType[];
  /** API keys only: the key's default callback URL, and whether it has a secret to sign callbacks with. */
  callbacks?: { defaultUrl?: string; canSign: boolean };
}

export type AuthEnv = { Variables: { principal: Principal } };

/** What a JWT must satisfy besides its HS256 signature. */
export interface JwtPolicy {
  secret: string;
  /** When set, the `iss` claim must equal it. */
  issuer?: string;
  /** When set, the `aud` claim (a string or a list) must contain it. */
  audience?: string;
  /** Longest accepted lifetime in seconds: `exp - iat`, and `exp` from now. */
  maxLifetimeS: number;
}

/** Failed authentications per client address, counted across API replicas (see RateLimiter). */
export interface AuthThrottle {
  admit(address: string): Promise<void>;
  countFailure(address: string): Promise<void>;
  trustedProxies: string[];
}

export interface AuthDeps {
  apiKeys: ApiKeyRepository;
  jwt?: JwtPolicy;
  throttle?: AuthThrottle;
}

const unauthorized = (message: string, error = 'invalid_token') =>
  new ApiError(401, 'unauthorized', message, undefined, { 'WWW-Authenticate': `Bearer error="${error}"` });

/**
 * Bearer authentication (API key or HS256 JWT), then the role check against the roles the matched route declares
 * (see routeRoles). An address with too many failed authentications this minute is refused first (429), whatever
 * token it sends.
 */
export function authenticate(deps: AuthDeps): MiddlewareHandler<AuthEnv> {
  return async (c, next) => {
    const address = deps.throttle ? clientAddress(connectionAddress(c), c.req.header('x-forwarded-for'), deps.throttle.trustedProxies) : '';
    // A request whose client resolves to a trusted proxy (it forwarded no address) has no known client: throttling
    // the proxy's own address would lock out everyone behind it, so such requests are neither refused nor counted.
    const throttle = address && !deps.throttle?.trustedProxies.some((entry) => ipMatches(address, entry)) ? deps.throttle : undefined;
    await throttle?.admit(address);
    let principal: Principal;
    try {
      const match = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '');
      if (!match)
        throw new ApiError(401, 'unauthorized', 'Missing bearer token: send "Authorization: Bearer <token>"', undefined, { 'WWW-Authenticate': 'Bearer' });
      principal = await principalFor(match[1], deps);
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) await throttle?.countFailure(address);
      throw err;
    }
    if (!mayCall(principal.role, c)) {
      throw new ApiError(403, 'forbidden', `The ${principal.role} role may not ${c.req.method} ${c.req.path}`);
    }
    c.set('principal', principal);
    await next();
  };
}

/** The peer's address; '' for a request handed to the app in-process (`app.request`), which has no connection. */
function connectionAddress(c: Context): string {
  try {
    return getConnInfo(c).remote.address ?? '';
  } catch {
    return '';
  }
}

async function principalFor(token: string, deps: AuthDeps): Promise<Principal> {
  if (token.split('.').length === 3) return principalFromJwt(token, deps.jwt);
  const key = await deps.apiKeys.findActiveByToken(token);
  if (!key) throw unauthorized('Invalid or revoked API key');
  return {
    id: key._id,
    name: key.name,
    role: key.role,
    rateLimitPerMinute: key.rate_limit_per_minute,
    ...(key.message_types ? { messageTypes: key.message_types } : {}),
    callbacks: { ...(key.callback_url ? { defaultUrl: key.callback_url } : {}), canSign: key.callback_secret !== undefined },
  };
}

/** Why hono's verify refused a token, in words a client can act on (never the expected values). */
const JWT_REFUSALS: Record<string, string> = {
  JwtTokenExpired: 'The JWT has expired',
  JwtTokenIssuer: 'The JWT iss claim is not the issuer this deployment accepts',
  JwtPayloadRequiresAud: 'The JWT must carry an aud claim',
  JwtTokenAudience: 'The JWT aud claim does not name this service',
  JwtTokenIssuedAt: 'The JWT iat claim is in the future',
  JwtTokenNotBefore: 'The JWT is not valid yet (nbf)',
};

async function principalFromJwt(token: string, policy: JwtPolicy | undefined): Promise<Principal> {
  if (!policy) throw unauthorized('JWTs are not accepted by this deployment');
  let claims: Record<string, unknown>;
  try {
    claims = await verify(token, policy.secret, {
      alg: 'HS256',
      ...(policy.issuer ? { iss: policy.issuer } : {}),
      ...(policy.audience ? { aud: policy.audience } : {}),
    });
  } catch (err) {
    throw unauthorized(JWT_REFUSALS[(err as Error).name] ?? 'The JWT signature or claims are invalid');
  }
  if (typeof claims.exp !== 'number') throw unauthorized('The JWT must carry an exp claim');
  const lifetimeProblem = jwtLifetimeProblem(claims.exp, claims.iat, policy.maxLifetimeS);
  if (lifetimeProblem) throw unauthorized(lifetimeProblem);
  if (typeof claims.sub !== 'string' || !claims.sub) throw unauthorized('The JWT must carry a sub claim');
  if (!ROLES.includes(claims.role as Role)) throw unauthorized(`The JWT role claim must be one of ${ROLES.join(', ')}`);
  return { id: `jwt:${claims.sub}`, name: claims.sub, role: claims.role as Role };
}

/**
 * A stolen long-lived token is a standing credential, so lifetimes are bounded: `exp - iat` when the token says
 * when it was issued, and in any case `exp` no further ahead than the maximum (a token without `iat` cannot claim
 * a short life it does not have).
 */
export function jwtLifetimeProblem(exp: number, iat: unknown, maxLifetimeS: number, nowS = Math.floor(Date.now() / 1000)): string | undefined {
  if (iat !== undefined && typeof iat !== 'number') return 'The JWT iat claim must be a number of seconds';
  if (typeof iat === 'number' && exp - iat > maxLifetimeS)
    return `The JWT lifetime (exp - iat = ${exp - iat} s) exceeds the ${maxLifetimeS} s this deployment accepts`;
  if (exp - nowS > maxLifetimeS) return `The JWT expires ${exp - nowS} s from now, more than the ${maxLifetimeS} s this deployment accepts`;
  return undefined;
}

/** Constant-time comparison for shared secrets (webhook tokens). */
export function secretsEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
