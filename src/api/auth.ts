import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { ApiError } from '../errors';

export type Role = 'admin' | 'sender' | 'viewer';

export interface Principal {
  id: string;
  role: Role;
}

export type AuthEnv = { Variables: { principal: Principal } };

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** Bearer authentication; for now the one admin token from ADMIN_TOKEN (compared in constant time). */
export function bearerAuth(adminToken: string): MiddlewareHandler<AuthEnv> {
  const expected = digest(adminToken);
  return async (c, next) => {
    const header = c.req.header('authorization') ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new ApiError(401, 'unauthorized', 'Missing bearer token: send "Authorization: Bearer <token>"', undefined, { 'WWW-Authenticate': 'Bearer' });
    if (!timingSafeEqual(digest(match[1]), expected)) throw new ApiError(401, 'unauthorized', 'Invalid bearer token', undefined, { 'WWW-Authenticate': 'Bearer error="invalid_token"' });
    c.set('principal', { id: 'admin', role: 'admin' });
    await next();
  };
}
