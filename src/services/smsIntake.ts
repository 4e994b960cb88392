import { createHash, randomUUID } from 'node:crypto';
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import type { MessageRepository, SmsMessage } from '../db/messages';
import type { TaiwanPhone } from '../domain/phone';
import { countSegments } from '../domain/segments';
import { SMS_TASK_QUEUE, workflowIdFor, type MessageType } from '../domain/sms';
import { SmsMessageTypeKey, SmsStatusKey } from '../temporal/searchAttributes';
import { sendSmsWorkflow } from '../workflows';
import { ApiError } from '../errors';

export interface SmsRequest {
  phone: TaiwanPhone;
  body: string;
  messageType: MessageType;
  metadata: Record<string, unknown>;
  /** Who asked; idempotency keys are scoped to them. */
  principalId: string;
  idempotencyKey?: string;
}

export interface Intake {
  message: SmsMessage;
  /** True when an earlier request with the same Idempotency-Key created this message. */
  replayed: boolean;
}

/**
 * Turns an accepted request into a stored message and its running workflow. No provider I/O happens here.
 * Order matters: the message is stored first (the workflow reads it), then the workflow is started; a failed
 * start removes the fresh message again, so nothing is left half-written.
 */
export class SmsIntake {
  constructor(
    private readonly messages: MessageRepository,
    private readonly temporal: Client,
  ) {}

  async accept(request: SmsRequest): Promise<Intake> {
    const id = request.idempotencyKey ? idFromKey(request.principalId, request.idempotencyKey) : randomUUID();
    const fingerprint = fingerprintOf(request);
    const segments = countSegments(request.body);
    const { inserted, message } = await this.messages.insertIfAbsent({
      _id: id,
      phone_e164: request.phone.e164,
      phone_national: request.phone.national,
      phone_masked: request.phone.masked,
      phone_kind: request.phone.kind,
      body: request.body,
      message_type: request.messageType,
      metadata: request.metadata,
      encoding: segments.encoding,
      segments: segments.segments,
      units: segments.units,
      idempotency_fingerprint: fingerprint,
    });
    if (!inserted && message.idempotency_fingerprint !== fingerprint) {
      throw new ApiError(409, 'idempotency_key_reused', 'This Idempotency-Key was already used for a different request');
    }
    // A replay still (re)starts the workflow: the first request may have died between insert and start.
    if (!message.finished_at) await this.startWorkflow(message, inserted);
    return { message, replayed: !inserted };
  }

  private async startWorkflow(message: SmsMessage, inserted: boolean): Promise<void> {
    try {
      await this.temporal.workflow.start(sendSmsWorkflow, {
        taskQueue: SMS_TASK_QUEUE,
        workflowId: workflowIdFor(message._id),
        args: [{ messageId: message._id }],
        // Same id while running → attach; after it closed → refuse. Never a second SMS for one message id.
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        typedSearchAttributes: [
          { key: SmsStatusKey, value: 'queued' },
          { key: SmsMessageTypeKey, value: message.message_type },
        ],
      });
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      if (inserted) await this.messages.deleteUnstarted(message._id).catch(() => undefined);
      throw new ApiError(503, 'temporarily_unavailable', 'The message could not be queued right now; retry the request', undefined, { 'Retry-After': '5' });
    }
  }
}

/** Formats sha256(principal, key) as a UUID so replayed requests land on the same message and workflow id. */
function idFromKey(principalId: string, key: string): string {
  const h = createHash('sha256').update(`${principalId}\u0000${key}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function fingerprintOf(r: SmsRequest): string {
  return createHash('sha256').update(JSON.stringify([r.phone.e164, r.body, r.messageType, r.metadata])).digest('hex');
}
