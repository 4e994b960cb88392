import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, type Client } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import {
  SMS_TASK_QUEUE,
  TRANSACTIONAL_PRIORITY,
  isTransactional,
  workflowIdFor,
  workflowTaskQueueFor,
  type DeliveryReport,
  type MessageType,
} from '../domain/sms';
import type { SendPlan } from '../activities/types';
import { SmsBatchIdKey, SmsMessageTypeKey, SmsStatusKey } from './searchAttributes';
import {
  bulkSmsWorkflow,
  bulkWorkflowId,
  cancelMessageUpdate,
  deliveryReportSignal,
  lateReceiptWorkflow,
  sendSmsWorkflow,
  type BulkSmsInput,
  type SendSmsInput,
} from '../workflows';

/**
 * The Temporal calls that intake makes and the outbox relay repeats. Each is safe to repeat: the workflow id is
 * derived from the message or batch id, so a second start attaches to the running workflow or is refused once it
 * has closed — either way the work is already in Temporal's hands, and no number is texted twice.
 */
export async function startSendWorkflow(
  client: Client,
  message: StartableMessage,
  /** The route planned at intake (services/sendPlanning.ts); without it the workflow plans for itself. */
  plan?: SendPlan,
): Promise<void> {
  await alreadyStartedIsFine(() => client.workflow.start(sendSmsWorkflow, sendWorkflowOptions(message, plan)));
}

type StartableMessage = { _id: string; message_type: MessageType; scheduled_at?: Date; valid_until?: Date };

/**
 * How a message's workflow is started, by intake, the outbox relay, or a cancel that finds it not started yet
 * (`WithStartWorkflowOperation`, services/smsCancel.ts).
 */
export function sendWorkflowOptions(message: StartableMessage, plan?: SendPlan) {
  // The workflow holds a scheduled message itself (a durable timer) rather than a start delay, so that it is
  // running, and can take a cancel, while it waits.
  const scheduled = message.scheduled_at !== undefined && message.scheduled_at.getTime() > Date.now();
  return {
    taskQueue: workflowTaskQueueFor(message.message_type),
    ...(isTransactional(message.message_type) ? { priority: { priorityKey: TRANSACTIONAL_PRIORITY } } : {}),
    workflowId: workflowIdFor(message._id),
    args: [
      {
        messageId: message._id,
        ...(message.scheduled_at ? { sendAtMs: message.scheduled_at.getTime() } : {}),
        ...(message.valid_until ? { validUntilMs: message.valid_until.getTime() } : {}),
        ...(plan ? { plan } : {}),
      },
    ] as [SendSmsInput],
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: SmsStatusKey, value: scheduled ? 'scheduled' : 'queued' },
      { key: SmsMessageTypeKey, value: message.message_type },
    ],
  };
}

export async function startBatchWorkflow(client: Client, batch: StartableBatch): Promise<void> {
  await alreadyStartedIsFine(() => client.workflow.start(bulkSmsWorkflow, batchWorkflowOptions(batch)));
}

/**
 * Pauses, resumes or cancels a batch. One whose start is still pending (intake left it to the outbox relay while
 * Temporal was slow) is started with the signal, so a cancel lands before any child starts. 'finished' when the
 * batch's workflow has closed.
 */
export async function signalBatchWorkflow(client: Client, batch: StartableBatch, signal: SignalDefinition<[]>): Promise<'signalled' | 'finished'> {
  try {
    await client.workflow.signalWithStart(bulkSmsWorkflow, { ...batchWorkflowOptions(batch), signal, signalArgs: [] });
    return 'signalled';
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return 'finished';
    throw err;
  }
}

type StartableBatch = { _id: string; message_type: MessageType };

function batchWorkflowOptions(batch: StartableBatch) {
  return {
    taskQueue: SMS_TASK_QUEUE,
    workflowId: bulkWorkflowId(batch._id),
    args: [{ batchId: batch._id }] as [BulkSmsInput],
    // A repeated start after the batch finished must not run it again.
    workflowIdConflictPolicy: 'USE_EXISTING' as const,
    workflowIdReusePolicy: 'REJECT_DUPLICATE' as const,
    typedSearchAttributes: [
      { key: SmsBatchIdKey, value: batch._id },
      { key: SmsMessageTypeKey, value: batch.message_type },
      { key: SmsStatusKey, value: 'scheduled' },
    ],
  };
}

/** Hands a receipt to its message's workflow; 'finished' when that workflow has closed (nothing waits for it). */
export async function signalReceipt(client: Client, messageId: string, report: DeliveryReport): Promise<'signalled' | 'finished'> {
  try {
    await client.workflow.getHandle(workflowIdFor(messageId)).signal(deliveryReportSignal, report);
    return 'signalled';
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'finished';
    throw err;
  }
}

/**
 * Asks a message's workflow to take it back (the cancel update; its SendGate decides). Answers once the cancel is
 * stored, or once a call it could not stop got the message through (`too_late`). `updateId`: a repeated ask (a
 * retried activity) is the same update. `ended`: no running workflow had the message.
 */
export async function askMessageToCancel(client: Client, messageId: string, updateId: string): Promise<'cancelled' | 'too_late' | 'ended'> {
  try {
    await client.workflow.getHandle(workflowIdFor(messageId)).executeUpdate(cancelMessageUpdate, { updateId });
    return 'cancelled';
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError) return 'too_late';
    if (err instanceof WorkflowNotFoundError) return 'ended';
    throw err;
  }
}

/**
 * Hands a receipt for a message that ended `expired` (domain/lateReceipts.ts) to the worker, on the message's own
 * workflow task queue (a notice's is not held behind a campaign). One per message: the first late receipt that
 * applies changes the message, and a repeated one would change nothing. No `SmsStatus`: the UI's status filters
 * match the message's own workflow, and this one must not be counted beside it.
 */
export async function startLateReceiptWorkflow(client: Client, message: { _id: string; message_type: MessageType }, report: DeliveryReport): Promise<void> {
  await alreadyStartedIsFine(() =>
    client.workflow.start(lateReceiptWorkflow, {
      taskQueue: workflowTaskQueueFor(message.message_type),
      workflowId: `late-receipt-${message._id}`,
      args: [{ messageId: message._id, report }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    }),
  );
}

async function alreadyStartedIsFine(start: () => Promise<unknown>): Promise<void> {
  try {
    await start();
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
}
