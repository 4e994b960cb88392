import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { SMS_TASK_QUEUE } from '../domain/sms';
import type { StatusCallbackInput } from '../domain/statusCallback';
import { statusCallbackWorkflow } from '../workflows/statusCallback';

/**
 * Starts the workflow that delivers one status callback. Safe to repeat: the id is the callback's, so a second
 * start (the outbox relay, a retried bookkeeping step) finds it running or refuses once it has closed.
 */
export async function startStatusCallbackWorkflow(client: Client, callback: StatusCallbackInput): Promise<void> {
  try {
    await client.workflow.start(statusCallbackWorkflow, {
      taskQueue: SMS_TASK_QUEUE,
      workflowId: callback.callbackId,
      args: [callback],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
