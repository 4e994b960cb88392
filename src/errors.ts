import type { ContentfulStatusCode } from 'hono/utils/http-status';

import type { FieldProblem } from './domain/errors';

export type { FieldProblem } from './domain/errors';

/** An error the HTTP layer answers itself (routes, auth); services throw DomainError instead. */
export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: FieldProblem[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}
