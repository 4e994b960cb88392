import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { ApiError } from '../errors';

/**
 * Starts the workflow for something just stored. Already started counts as success (a repeated request); any
 * other failure undoes the stored part (best effort) and answers 503, so nothing is left half-written.
 */
export async function startOrUndo(start: () => Promise<unknown>, undo: () => Promise<void>, what: string): Promise<void> {
  try {
    await start();
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return;
    await undo().catch(() => undefined);
    throw new ApiError(503, 'temporarily_unavailable', `The ${what} could not be queued right now; retry the request`, undefined, { 'Retry-After': '5' });
  }
}
