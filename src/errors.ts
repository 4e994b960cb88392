import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface FieldProblem {
  field: string;
  message: string;
}

/** An error a client may see: status, stable code, human message, optional field details. */
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
