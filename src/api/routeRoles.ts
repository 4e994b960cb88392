import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { Role } from '../domain/roles';

/**
 * Authorization is declared where each route is: its handler chain starts with `allow(...)` naming the roles that
 * may call it besides `admin` (who may call everything). A route that declares nothing is admin-only.
 * `authenticate` reads the declaration of the route that will answer, so there is no second table to keep in sync.
 */
const DECLARED_ROLES = Symbol('declaredRoles');
type RoleDeclaration = MiddlewareHandler & { [DECLARED_ROLES]: readonly Role[] };

/** First handler of a plain Hono route: `app.get(path, allow('viewer'), handler)`. */
export function allow(...roles: Exclude<Role, 'admin'>[]): MiddlewareHandler {
  const declaration: RoleDeclaration = Object.assign((_c: Context, next: () => Promise<void>) => next(), { [DECLARED_ROLES]: roles });
  return declaration;
}

/**
 * Spread into an OpenAPI route: `createRoute({ method, path, ...callableBy('sender'), ... })`. The roles are also
 * published in the operation as `x-roles` (admin included), so clients read them from /openapi.json.
 */
export function callableBy(...roles: Exclude<Role, 'admin'>[]) {
  return { middleware: [allow(...roles)], 'x-roles': ['admin', ...roles] };
}

/**
 * Roles the request's route declared; [] (admin-only) when it declares none or no route matches. The route that
 * answers is the first matched one registered for a method (middleware from `use` is registered for all methods).
 */
export function declaredRoles(c: Context): readonly Role[] {
  const route = matchedRoutes(c).find((r) => r.method !== 'ALL');
  return (route?.handler as Partial<RoleDeclaration> | undefined)?.[DECLARED_ROLES] ?? [];
}

export const mayCall = (role: Role, c: Context): boolean => role === 'admin' || declaredRoles(c).includes(role);
