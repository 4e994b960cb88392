/** A problem with one field of a request, named as the client wrote it (`recipients.3.phone`). */
export interface FieldProblem {
  field: string;
  message: string;
}

/**
 * What a service refuses and why, in the service's own terms. The HTTP layer alone turns a kind into a status
 * (src/api/errors.ts), so services and the activities that share their code never depend on HTTP.
 */
export type ProblemKind = 'invalid' | 'conflict' | 'too_large' | 'rate_limited' | 'unavailable';

export class DomainError extends Error {
  constructor(
    readonly kind: ProblemKind,
    /** Stable, machine-readable: clients branch on it. */
    readonly code: string,
    message: string,
    readonly details?: FieldProblem[],
    /** When trying again makes sense (rate limits, a dependency that is down). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}
