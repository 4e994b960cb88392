import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ProblemKind } from '../domain/errors';
import { ApiError, type FieldProblem } from '../errors';
import type { ZodError } from 'zod';
import { isStoreUnreachable } from '../db/storeHealth';

/** Seconds a client should wait before retrying while MongoDB is unreachable. */
export const STORE_RETRY_AFTER_S = '5';

const STORE_UNAVAILABLE_MESSAGE = 'The message store is unreachable right now; retry shortly (a retry with the same Idempotency-Key never sends twice).';

/** What every request that needs the store is answered while it is unreachable. */
export const storeUnavailable = () => new ApiError(503, 'store_unavailable', STORE_UNAVAILABLE_MESSAGE, undefined, { 'Retry-After': STORE_RETRY_AFTER_S });

/** A 422 naming every invalid field; `under` prefixes field paths of a nested value checked on its own. */
export function validationError(error: ZodError, where: 'body' | 'query' | 'path' | 'header', under?: string): ApiError {
  const details = error.issues.map((issue) => {
    const path = [...(under ? [under] : []), ...issue.path.map(String)];
    return { field: path.length ? path.join('.') : where, message: issue.message };
  });
  const summary = details.map((d) => `${d.field}: ${d.message}`).join('; ');
  return new ApiError(422, 'validation_failed', `Invalid ${where}: ${summary}`, details);
}

export function errorBody(code: string, message: string, details?: FieldProblem[]) {
  return { error: { code, message, ...(details ? { details } : {}) } };
}

/** The one error handler: known errors keep their status; anything else is a 500 without internals. */
/** The one place a service's refusal becomes an HTTP status. */
const STATUS_OF: Record<ProblemKind, ContentfulStatusCode> = { invalid: 422, conflict: 409, too_large: 413, rate_limited: 429, unavailable: 503 };

export function onError(log: (message: string, fields: Record<string, unknown>) => void) {
  return (err: Error, c: Context) => {
    if (err instanceof ApiError) {
      for (const [k, v] of Object.entries(err.headers ?? {})) c.header(k, v);
      return c.json(errorBody(err.code, err.message, err.details), err.status);
    }
    if (err instanceof DomainError) {
      if (err.retryAfterSeconds !== undefined) c.header('Retry-After', String(err.retryAfterSeconds));
      return c.json(errorBody(err.code, err.message, err.details), STATUS_OF[err.kind]);
    }
    if (err instanceof HTTPException) {
      const status = err.status;
      const code = status === 413 ? 'payload_too_large' : status === 401 ? 'unauthorized' : 'bad_request';
      // Hono's own messages (malformed JSON, body limit) are safe to show; they carry no internals.
      return c.json(errorBody(code, err.message || 'Bad request'), status as ContentfulStatusCode);
    }
    if (isStoreUnreachable(err)) {
      c.header('Retry-After', STORE_RETRY_AFTER_S);
      return c.json(errorBody('store_unavailable', STORE_UNAVAILABLE_MESSAGE), 503);
    }
    log('unhandled error', { path: c.req.path, method: c.req.method, error: err.message });
    return c.json(errorBody('internal_error', 'Something went wrong on our side; the request can be retried.'), 500);
  };
}
