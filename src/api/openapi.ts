import type { OpenAPIHonoOptions, z } from '@hono/zod-openapi';
import { validationError } from './errors';

/** Every zod-validated route reports bad input the same way: 422 naming each field. */
export const openApiHook: NonNullable<OpenAPIHonoOptions<any>['defaultHook']> = (result) => {
  if (!result.success) throw validationError(result.error, targetName(result.target));
};

function targetName(target: string): 'body' | 'query' | 'path' | 'header' {
  if (target === 'json' || target === 'form') return 'body';
  if (target === 'param') return 'path';
  if (target === 'header') return 'header';
  return 'query';
}

/** A JSON response (or body) entry of a route's OpenAPI description. */
export const json = <T extends z.ZodType>(schema: T, description: string) => ({ description, content: { 'application/json': { schema } } });
