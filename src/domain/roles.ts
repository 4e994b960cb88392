export const ROLES = ['admin', 'sender', 'viewer'] as const;
/** What a key or JWT may do is declared with each route (see api/routeRoles); `admin` may do everything. */
export type Role = (typeof ROLES)[number];
