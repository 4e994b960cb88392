import { ServiceError } from '@temporalio/client';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { DomainError, type ProblemKind } from '../domain/errors';
import { ApiError, type FieldProblem } from '../errors';
import type { ZodError } from 'zod';
import { isStoreUnreachable } from '../db/storeHealth';

const HTTP_EXCEPTION_CODES: Partial<Record<number, string>> = { 401: 'unauthorized', 413: 'payload_too_large', 415: 'unsupported_media_type' };

/** Seconds a client should wait before retrying while Temporal is unreachable. */
const TEMPORAL_RETRY_AFTER_S = '5';

/** gRPC statuses of a Temporal call that did not get through: DEADLINE_EXCEEDED (4), RESOURCE_EXHAUSTED (8), UNAVAILABLE (14). */
const UNREACHABLE_GRPC_CODES = new Set([4, 8, 14]);

/** A Temporal call that failed because the server could not be reached in time, not because of what was asked. */
function isTemporalUnreachable(err: unknown): boolean {
  if (!(err instanceof ServiceError)) return false;
  const code = (err.cause as { code?: number } | undefined)?.code;
  return code !== undefined && UNREACHABLE_GRPC_CODES.has(code);
}

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
      const code = HTTP_EXCEPTION_CODES[status] ?? 'bad_request';
      // Hono's own messages (malformed JSON, body limit, content type) are safe to show; they carry no internals.
      const message = err.message || 'Bad request';
      const aboutBody = status === 400 || status === 415;
      return c.json(errorBody(code, message, aboutBody ? [{ field: 'body', message }] : undefined), status as ContentfulStatusCode);
    }
    if (isTemporalUnreachable(err)) {
      c.header('Retry-After', TEMPORAL_RETRY_AFTER_S);
      return c.json(errorBody('temporal_unavailable', 'The workflow service is unreachable right now; retry shortly.'), 503);
    }
    if (isStoreUnreachable(err)) {
      c.header('Retry-After', STORE_RETRY_AFTER_S);
      return c.json(errorBody('store_unavailable', STORE_UNAVAILABLE_MESSAGE), 503);
    }
    log('unhandled error', { path: c.req.path, method: c.req.method, error: err.message });
    return c.json(errorBody('internal_error', 'Something went wrong on our side; the request can be retried.'), 500);
  };
}
