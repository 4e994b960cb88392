import { createHash, randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { MessageRepository, SmsMessage } from '../db/messages';
import type { TemplateRepository } from '../db/templates';
import type { TaiwanPhone } from '../domain/phone';
import { TRANSACTIONAL_PRIORITY, isTransactional, workflowIdFor, workflowTaskQueueFor, type MessageType, type ProviderName } from '../domain/sms';
import { ApiError } from '../errors';
import { metrics } from '../metrics';
import { SmsMessageTypeKey, SmsStatusKey } from '../temporal/searchAttributes';
import { sendSmsWorkflow } from '../workflows';
import type { RateLimiter } from './rateLimits';
import { startOrUndo } from './startOrUndo';
import { uuidFrom } from '../domain/ids';
import { composeMessage, lengthProblem, renderForMessage, type RenderedMessage } from './templateRendering';
import { heldByQuietHours, nextAllowedTime, type QuietWindow } from '../domain/quietHours';
import { blockedByOptOut } from '../domain/optOut';
import type { OptOutLedger } from './optOuts';
import type { ContentPolicyService } from './contentPolicy';

/** Either a finished text or a template to render for this message. */
export type SmsContent = { text: string } | { templateCode: string; templateData: Record<string, string | number> };

export interface SmsRequest {
  phone: TaiwanPhone;
  content: SmsContent;
  messageType: MessageType;
  metadata: Record<string, unknown>;
  /** Who asked; idempotency keys are scoped to them. */
  principalId: string;
  idempotencyKey?: string;
  /** Test sends only: use this provider and no other. */
  forcedProvider?: ProviderName;
}

export interface Intake {
  message: SmsMessage;
  /** True when an earlier request with the same Idempotency-Key created this message. */
  replayed: boolean;
  /** What the content policy changed (e.g. the sender identity prepended); empty for a replay. */
  warnings: string[];
}

/**
 * Turns an accepted request into a stored message and its running workflow. No provider I/O happens here.
 * Order matters: the message is stored first (the workflow reads it), then the workflow is started; a failed
 * start removes the fresh message again, so nothing is left half-written.
 */
export class SmsIntake {
  constructor(
    private readonly messages: MessageRepository,
    private readonly templates: TemplateRepository,
    private readonly temporal: Client,
    private readonly limits: RateLimiter,
    /** The quiet-hour windows in force now (operator-editable, read per request). */
    private readonly quietHours: () => Promise<QuietWindow[]>,
    private readonly optOuts: OptOutLedger,
    private readonly policy: ContentPolicyService,
  ) {}

  async accept(request: SmsRequest): Promise<Intake> {
    const id = request.idempotencyKey ? messageIdForKey(request.principalId, request.idempotencyKey) : randomUUID();
    const fingerprint = fingerprintOf(request);
    // A replay answers with what was stored, even if the template has changed or been deactivated since.
    const earlier = request.idempotencyKey ? await this.messages.findById(id) : null;
    if (earlier) return this.replay(earlier, fingerprint);

    if (blockedByOptOut(request.messageType) && (await this.optOuts.isSuppressed(request.phone.e164))) {
      throw new ApiError(422, 'opted_out', `phone: ${request.phone.masked} opted out of marketing; order, delivery and payment notices still go`, [{ field: 'phone', message: 'opted out of marketing' }]);
    }
    const drafted = await this.render(request.content, id);
    const checked = await this.policy.checkOrReject(drafted.body, request.messageType === 'marketing', 'text' in request.content ? 'message' : 'template_code');
    const rendered = { ...drafted, body: checked.body };
    const tooLong = lengthProblem(rendered.body);
    if (tooLong) throw new ApiError(422, 'validation_failed', `message: ${tooLong}`, [{ field: 'message', message: tooLong }]);
    // Counted only for new messages: a replayed request sends nothing and costs nothing.
    await this.limits.admitMessage(request.phone.e164, request.messageType);
    const scheduledAt = await this.sendTimeFor(request.messageType);
    const { inserted, message } = await this.messages.insertIfAbsent({
      ...composeMessage({ id, phone: request.phone, rendered, messageType: request.messageType, metadata: request.metadata, forcedProvider: request.forcedProvider, fingerprint }),
      ...(scheduledAt ? { scheduled_at: scheduledAt } : {}),
    });
    if (!inserted) return this.replay(message, fingerprint); // a concurrent request with the same key won
    await this.startWorkflow(message, true);
    metrics().messagesAccepted.inc({ message_type: message.message_type });
    return { message, replayed: false, warnings: checked.warnings };
  }

  private async replay(message: SmsMessage, fingerprint: string): Promise<Intake> {
    if (message.idempotency_fingerprint !== fingerprint) {
      throw new ApiError(409, 'idempotency_key_reused', 'This Idempotency-Key was already used for a different request');
    }
    // The first request may have died between storing the message and starting its workflow.
    if (!message.finished_at) await this.startWorkflow(message, false);
    return { message, replayed: true, warnings: [] };
  }

  private async render(content: SmsContent, messageId: string): Promise<RenderedMessage> {
    if ('text' in content) return { body: content.text };
    return renderForMessage(this.templates, content.templateCode, content.templateData, messageId);
  }

  /** The next allowed time when quiet hours hold this message now; undefined when it may go at once. */
  private async sendTimeFor(messageType: MessageType, now = new Date()): Promise<Date | undefined> {
    if (!heldByQuietHours(messageType)) return undefined;
    const openAt = nextAllowedTime(now, await this.quietHours());
    return openAt.getTime() > now.getTime() ? openAt : undefined;
  }

  private startWorkflow(message: SmsMessage, inserted: boolean): Promise<void> {
    // A Temporal start delay holds a quiet-hours message durably, with no change to the workflow itself; a repeated
    // request restarting a lost start waits only what is left.
    const delayMs = message.scheduled_at ? message.scheduled_at.getTime() - Date.now() : 0;
    return startOrUndo(
      () =>
        this.temporal.workflow.start(sendSmsWorkflow, {
          taskQueue: workflowTaskQueueFor(message.message_type),
          ...(isTransactional(message.message_type) ? { priority: { priorityKey: TRANSACTIONAL_PRIORITY } } : {}),
          workflowId: workflowIdFor(message._id),
          args: [{ messageId: message._id }],
          // Same id while running → attach; after it closed → refuse. Never a second SMS for one message id.
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
          ...(delayMs > 0 ? { startDelay: delayMs } : {}),
          typedSearchAttributes: [
            { key: SmsStatusKey, value: 'queued' },
            { key: SmsMessageTypeKey, value: message.message_type },
          ],
        }),
      // Only a message this request stored is removed; a replayed one belongs to the first request.
      async () => (inserted ? this.messages.deleteUnstarted(message._id) : undefined),
      'message',
    );
  }
}

/** The message id for an Idempotency-Key: the same principal and key always map to the same message. */
export function messageIdForKey(principalId: string, key: string): string {
  return uuidFrom(`${principalId}\u0000${key}`);
}

function fingerprintOf(r: SmsRequest): string {
  return createHash('sha256').update(JSON.stringify([r.phone.e164, r.content, r.messageType, r.metadata, r.forcedProvider ?? null])).digest('hex');
}
