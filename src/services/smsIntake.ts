import type { MessageCallback, MessageRepository, SentBy, SmsMessage } from '../db/messages';
import type { TemplateRepository } from '../db/templates';
import type { TaiwanPhone } from '../domain/phone';
import { countedAt } from '../domain/phoneBudget';
import type { MessageType, ProviderName } from '../domain/sms';
import { TemporalOutbox } from '../db/temporalOutbox';
import { DomainError } from '../domain/errors';
import { metrics } from '../metrics';
import type { BoundedTemporal } from '../temporal/boundedCalls';
import { startSendWorkflow } from '../temporal/starts';
import type { PhoneBudget } from './phoneBudget';
import { keyReused, messageIdFor, requestFingerprint, senderOf } from './messageIdentity';
import { composeMessage, lengthProblem, renderForMessage, type RenderedMessage } from './templateRendering';
import { heldByQuietHours, nextAllowedTime, type QuietWindow } from '../domain/quietHours';
import { blockedByOptOut } from '../domain/optOut';
import type { OptOutLedger } from './optOuts';
import type { ContentPolicyService } from './contentPolicy';
import type { RouteSkips, SendPlanner } from './sendPlanning';
import type { SendPlan } from '../activities/types';
import { countSegments } from '../domain/segments';

/** Either a finished text or a template to render for this message. */
export type SmsContent = { text: string } | { templateCode: string; templateData: Record<string, string | number> };

export interface SmsRequest {
  phone: TaiwanPhone;
  content: SmsContent;
  messageType: MessageType;
  metadata: Record<string, unknown>;
  /** Who asked; idempotency keys and references are scoped to them. */
  principalId: string;
  /** Recorded on the message; derived from `principalId` when not given. */
  sentBy?: SentBy;
  idempotencyKey?: string;
  /** The caller's own id for the message, unique per principal (see messageIdentity.ts). */
  reference?: string;
  /** Hold until then; already checked to be in the future and within the horizon (domain/sendWindow.ts). */
  scheduledAt?: Date;
  /** Never hand to a provider from then on. */
  validUntil?: Date;
  /** Test sends only: use this provider and no other. */
  forcedProvider?: ProviderName;
  /** Where status changes are POSTed (services/statusCallbacks.ts). */
  callback?: MessageCallback;
}

export interface Intake {
  message: SmsMessage;
  /** True when an earlier request with the same Idempotency-Key or reference created this message. */
  replayed: boolean;
  /** What the content policy changed (e.g. the sender identity prepended); empty for a replay. */
  warnings: string[];
}

/**
 * Turns an accepted request into a stored message and its running workflow. No provider I/O happens here.
 * Order matters: an outbox entry, then the message (the workflow reads it), then the workflow start. A message
 * that passed validation is never lost and never waits on Temporal longer than a bounded moment: if the start does
 * not succeed, the outbox relay starts it once Temporal answers again.
 */
export class SmsIntake {
  constructor(
    private readonly messages: MessageRepository,
    private readonly templates: TemplateRepository,
    private readonly temporal: BoundedTemporal,
    private readonly outbox: TemporalOutbox,
    private readonly budget: PhoneBudget,
    /** The quiet-hour windows in force now (operator-editable, read per request). */
    private readonly quietHours: () => Promise<QuietWindow[]>,
    private readonly optOuts: OptOutLedger,
    private readonly policy: ContentPolicyService,
    /** Plans the route of a message sent at once, so its workflow needs no planning step (see `planNow`). */
    private readonly planner?: Pick<SendPlanner, 'planSends'>,
  ) {}

  async accept(request: SmsRequest): Promise<Intake> {
    const { id, repeatable } = messageIdFor(request);
    const fingerprint = fingerprintOf(request);
    // A replay answers with what was stored, even if the template has changed or been deactivated since.
    const earlier = repeatable ? await this.messages.findById(id) : null;
    if (earlier) return this.replay(earlier, fingerprint, request);

    if (blockedByOptOut(request.messageType) && (await this.optOuts.isSuppressed(request.phone.e164))) {
      throw new DomainError('invalid', 'opted_out', `phone: ${request.phone.masked} opted out of marketing; order, delivery and payment notices still go`, [
        { field: 'phone', message: 'opted out of marketing' },
      ]);
    }
    const drafted = await this.render(request.content, id);
    const ownText = 'text' in request.content;
    const checked = await this.policy.checkOrReject(drafted.body, request.messageType === 'marketing', ownText ? 'message' : 'template_code');
    const rendered = { ...drafted, body: checked.body };
    const tooLong = lengthProblem(rendered.body);
    // A template's text is too long with this request's values: those are what the caller can change.
    const lengthField = ownText ? 'message' : 'template_data';
    if (tooLong) throw new DomainError('invalid', 'validation_failed', `${lengthField}: ${tooLong}`, [{ field: lengthField, message: tooLong }]);
    const planning = this.planNow(request, rendered);
    // The outbox entry before the message: a crash or a Temporal outage after the message is stored still gets it
    // started. Written while the budget is checked, not after (one round trip less before the provider call).
    const outboxEntry = TemporalOutbox.startMessageId(id);
    const entryWritten = this.outbox.add(startEntry(id));
    entryWritten.catch(() => undefined); // awaited below; a failure before that must not count as unhandled
    let scheduledAt: Date | undefined;
    try {
      scheduledAt = await this.sendTimeFor(request.messageType, request.scheduledAt);
      if (request.validUntil && scheduledAt && request.validUntil.getTime() <= scheduledAt.getTime()) {
        const problem = `must be after ${scheduledAt.toISOString()}, when the message may be sent (quiet hours hold marketing until then)`;
        throw new DomainError('invalid', 'validation_failed', `valid_until: ${problem}`, [{ field: 'valid_until', message: problem }]);
      }
      // Counted last, and only for new messages: a refused or replayed request sends nothing and costs nothing.
      // A held message counts in the hour it is to be sent.
      await this.budget.admitOne(request.phone.e164, request.messageType, countedAt(scheduledAt));
    } catch (refused) {
      // The entry names a message that will not exist: removed now, or dropped by the relay as an orphan. Only if
      // this request wrote it: a repeat of a request still being stored shares the entry, which the first needs.
      void entryWritten.then((created) => (created ? this.outbox.remove(outboxEntry) : undefined)).catch(() => undefined);
      throw refused;
    }
    await entryWritten;
    const planned = scheduledAt ? undefined : await planning;
    const { inserted, message } = await this.messages.insertIfAbsent(
      {
        ...composeMessage({
          id,
          phone: request.phone,
          rendered,
          messageType: request.messageType,
          metadata: request.metadata,
          forcedProvider: request.forcedProvider,
          fingerprint,
        }),
        ...(scheduledAt ? { scheduled_at: scheduledAt } : {}),
        ...(request.validUntil ? { valid_until: request.validUntil } : {}),
        ...(request.reference !== undefined ? { reference: request.reference } : {}),
        sent_by: request.sentBy ?? senderOf(request.principalId),
        ...(request.callback ? { callback: request.callback } : {}),
      },
      { routeSkips: planned?.skipped },
    );
    if (!inserted) return this.replay(message, fingerprint, request); // a concurrent request with the same key won
    await this.startWorkflow(message, planned?.plan);
    metrics().messagesAccepted.inc({ message_type: message.message_type });
    return { message, replayed: false, warnings: checked.warnings };
  }

  private async replay(message: SmsMessage, fingerprint: string, request: SmsRequest): Promise<Intake> {
    if (message.idempotency_fingerprint !== fingerprint) {
      if (request.reference !== undefined)
        throw new DomainError('conflict', 'reference_reused', `reference: this reference was already used for a different message (${message._id})`);
      throw keyReused();
    }
    // The first request may have died between storing the message and starting its workflow.
    if (!message.finished_at) await this.startWorkflow(message);
    return { message, replayed: true, warnings: [] };
  }

  /**
   * The route of a message that goes at once, planned while intake writes it: its workflow then starts with the
   * provider call instead of a planning step of its own (a workflow task and ~6 round trips that a busy store makes
   * slow). The send checks the provider again just before the call, so a plan that went stale only fails over.
   * Test sends (one forced provider) and held messages plan in their workflow, when their time comes. A failed
   * read only means the workflow plans: never a refused request.
   */
  private planNow(request: SmsRequest, rendered: RenderedMessage): Promise<{ plan: SendPlan; skipped: RouteSkips } | undefined> {
    if (!this.planner || request.scheduledAt || request.forcedProvider) return Promise.resolve(undefined);
    return this.planner.planSends(countSegments(rendered.body).segments, rendered.template_code).catch(() => undefined);
  }

  private async render(content: SmsContent, messageId: string): Promise<RenderedMessage> {
    if ('text' in content) return { body: content.text };
    return renderForMessage(this.templates, content.templateCode, content.templateData, messageId);
  }

  /**
   * When the message may go: the requested time, or now, moved past quiet hours for marketing; undefined when it
   * may go at once.
   */
  private async sendTimeFor(messageType: MessageType, requested?: Date, now = new Date()): Promise<Date | undefined> {
    if (!heldByQuietHours(messageType)) return requested;
    const openAt = nextAllowedTime(requested ?? now, await this.quietHours());
    return openAt.getTime() > now.getTime() ? openAt : undefined;
  }

  /**
   * Hands the message to Temporal, waiting a bounded time. Whatever the outcome the caller gets its 202: the outbox
   * entry written before the message stays until the start is confirmed, and the relay retries it.
   */
  private async startWorkflow(message: SmsMessage, plan?: SendPlan): Promise<void> {
    const started = await this.temporal.call((client) => startSendWorkflow(client, message, plan));
    // A failed removal only costs the relay one repeated (harmless) start; the caller still gets its 202.
    if (started.ok) await this.outbox.remove(TemporalOutbox.startMessageId(message._id)).catch(() => undefined);
    else {
      metrics().startsDeferred.inc({ kind: 'message' });
      // Written again, whole: the relay drops an entry whose message it has not found for a minute, which a slow
      // store can outlast between the entry and the insert. The message is stored now, so the relay will start it.
      await this.outbox.put(startEntry(message._id)).catch(() => undefined);
    }
  }
}

/** The outbox entry that has the relay start a message's workflow should intake not get it started. */
const startEntry = (messageId: string) => ({
  _id: TemporalOutbox.startMessageId(messageId),
  kind: 'start_message' as const,
  message_id: messageId,
  queued_at: new Date(),
});

export { messageIdForKey } from './messageIdentity';

/** The request as a repeat must match it. Fields added later count only when given, so older fingerprints still match. */
function fingerprintOf(r: SmsRequest): string {
  const later = {
    ...(r.scheduledAt ? { scheduled_at: r.scheduledAt.getTime() } : {}),
    ...(r.validUntil ? { valid_until: r.validUntil.getTime() } : {}),
    ...(r.reference !== undefined ? { reference: r.reference } : {}),
  };
  return requestFingerprint([r.phone.e164, r.content, r.messageType, r.metadata, r.forcedProvider ?? null, ...(Object.keys(later).length ? [later] : [])]);
}
