import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  type Client,
} from '@temporalio/client';
import type { OrderEventRepository } from '../db/orderEvents';
import type { TemplateRepository } from '../db/templates';
import { DomainError } from '../domain/errors';
import { uuidFrom } from '../domain/ids';
import { TEMPLATE_FOR_EVENT, orderWorkflowId, ownedByAnotherKey, type OrderEventName } from '../domain/orderEvents';
import type { TaiwanPhone } from '../domain/phone';
import { SMS_TRANSACTIONAL_TASK_QUEUE, TRANSACTIONAL_PRIORITY } from '../domain/sms';
import type { TemplateData } from '../domain/templateData';
import { missingPlaceholders, placeholdersOf } from '../domain/templates';
import { BoundedTemporal } from '../temporal/boundedCalls';
import {
  ORDER_NOT_OWNED,
  orderEventUpdate,
  orderNotificationsWorkflow,
  orderTimelineQuery,
  type OrderEventDecision,
  type OrderEventInput,
  type OrderTimeline,
} from '../workflows/orderNotifications';

export interface OrderEventRequest {
  orderId: string;
  phone: TaiwanPhone;
  event: OrderEventName;
  occurredAt: Date;
  data: TemplateData;
  /** `payment_due`: when the reminder goes if still unpaid. */
  dueAt?: Date;
  /** Who posted it (API key or user), kept with the event. */
  principalId: string;
  /** The client key that posted it, when a `sender` key did: the order belongs to the first one (see OrderEventInput). */
  sender?: string;
}

/** Updates wait for a worker to decide the event: longer than a plain start may take, still bounded. */
const UPDATE_WAIT_MS = 10_000;
const RETRY_AFTER_S = 5;

/**
 * The API side of order notifications: stores the event (phone and data stay in MongoDB), hands it to the order's
 * workflow with update-with-start and answers with what the workflow decided; reads the order's timeline back.
 */
export class OrderNotifications {
  private readonly temporal: BoundedTemporal;

  constructor(
    private readonly events: OrderEventRepository,
    private readonly templates: TemplateRepository,
    client: Client,
  ) {
    this.temporal = new BoundedTemporal(client, UPDATE_WAIT_MS);
  }

  async post(request: OrderEventRequest): Promise<OrderEventDecision & { eventId: string }> {
    await this.checkTemplateData(request.event, request.data);
    // The same event (order, kind, time) always gets the same id: a retried POST is recognised by the workflow.
    const eventId = uuidFrom(['order-event', request.orderId, request.event, request.occurredAt.toISOString()].join('\u0000'));
    const stored = await this.events.addIfAbsent({
      _id: eventId,
      order_id: request.orderId,
      event: request.event,
      phone_e164: request.phone.e164,
      phone_masked: request.phone.masked,
      data: request.data,
      occurred_at: request.occurredAt,
      received_at: new Date(),
      received_from: request.principalId,
      ...(request.sender === undefined ? {} : { sender: request.sender }),
    });
    // The same event stored before: by another client key, its copy (number, data) is the one the order would
    // text, so this post is refused here and that copy is left alone.
    const ownCopy = stored || (await this.storedByThisKeyUnlessAnothers(eventId, request));
    const input: OrderEventInput = {
      eventId,
      event: request.event,
      occurredAt: request.occurredAt.toISOString(),
      ...(request.dueAt ? { dueAt: request.dueAt.toISOString() } : {}),
      ...(request.sender === undefined ? {} : { sender: request.sender }),
    };
    const updated = await this.temporal.call((client) => updateOrder(client, request.orderId, input));
    if (!updated.ok) {
      // Nothing was decided: the order system retries, and the same event id makes the retry harmless.
      throw new DomainError(
        'unavailable',
        'workflow_unavailable',
        'The order could not be updated right now; retry shortly (a retry never texts twice)',
        undefined,
        RETRY_AFTER_S,
      );
    }
    const result = updated.value;
    if (result.value === 'ok') return { eventId, ...result.decision };
    // Refused: nothing of this post may stay. A copy this key stored (now, or in an earlier try of this post) is
    // removed; one another principal stored (an admin) belongs to the order.
    if (ownCopy) await this.events.removeAll([eventId]);
    if (result.value === 'not_owned' || (await this.closedOrderOfAnotherKey(request))) throw orderIdTaken(request.orderId);
    throw new DomainError('conflict', 'order_closed', `order ${request.orderId} is closed: its workflow ended after the order settled; nothing was sent`);
  }

  /** A closed order still answers its timeline: another sender key is told the id is taken, not that it closed. */
  private async closedOrderOfAnotherKey(request: OrderEventRequest): Promise<boolean> {
    return request.sender !== undefined && ownedByAnotherKey((await this.timeline(request.orderId))?.owner, request.sender);
  }

  /** Refuses the post if another sender key stored this event; else whether this principal stored it. */
  private async storedByThisKeyUnlessAnothers(eventId: string, request: OrderEventRequest): Promise<boolean> {
    const stored = await this.events.get(eventId);
    if (ownedByAnotherKey(stored?.sender, request.sender)) throw orderIdTaken(request.orderId);
    return stored?.received_from === request.principalId;
  }

  /** The order's timeline, also after its workflow closed (while Temporal keeps its history); null if unknown. */
  async timeline(orderId: string): Promise<OrderTimeline | null> {
    const result = await this.temporal.call(async (client) => {
      try {
        return await client.workflow.getHandle(orderWorkflowId(orderId)).query(orderTimelineQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) return null;
        throw err;
      }
    });
    if (!result.ok)
      throw new DomainError('unavailable', 'workflow_unavailable', 'The order timeline cannot be read right now; retry shortly', undefined, RETRY_AFTER_S);
    return result.value;
  }

  /**
   * The event's template must be fillable from `data` now, so a missing value is a 422 naming it instead of a text
   * that fails later. A template that is missing or inactive is not checked here: the timeline reports that text failed.
   */
  private async checkTemplateData(event: OrderEventName, data: TemplateData): Promise<void> {
    const code = TEMPLATE_FOR_EVENT[event];
    const template = code ? await this.templates.getByCode(code) : null;
    if (!template?.is_active) return;
    const contents = [template.content, ...template.variants.map((v) => v.content)];
    const missing = [...new Set(contents.flatMap((c) => missingPlaceholders(placeholdersOf(c), data)))];
    if (missing.length) {
      throw new DomainError(
        'invalid',
        'validation_failed',
        `data: ${event} texts ${code}, which needs ${missing.join(', ')}`,
        missing.map((name) => ({ field: `data.${name}`, message: `is required by the ${code} template` })),
      );
    }
  }
}

/**
 * Order ids are the client system's own, and one system's order is not another's to text about or read. Saying
 * that the id is in use tells the other key no more than that: not the number, the events or the texts.
 */
const orderIdTaken = (orderId: string) =>
  new DomainError('conflict', 'order_id_taken', `order ${orderId} belongs to another API key (the first to post it); nothing was recorded`);

/**
 * The decision; 'closed' when the order's workflow has ended (or is ending) and takes no more events; 'not_owned'
 * when another client key owns the order.
 */
async function updateOrder(
  client: Client,
  orderId: string,
  input: OrderEventInput,
): Promise<{ value: 'ok'; decision: OrderEventDecision } | { value: 'closed' | 'not_owned' }> {
  const start = new WithStartWorkflowOperation(orderNotificationsWorkflow, {
    workflowId: orderWorkflowId(orderId),
    taskQueue: SMS_TRANSACTIONAL_TASK_QUEUE,
    priority: { priorityKey: TRANSACTIONAL_PRIORITY },
    args: [{ orderId }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    // An ended order is not started again: a late repeat of `confirmed` must not text the customer a second time.
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
  });
  try {
    return { value: 'ok', decision: await client.workflow.executeUpdateWithStart(orderEventUpdate, { args: [input], startWorkflowOperation: start }) };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { value: 'closed' };
    if (err instanceof WorkflowUpdateFailedError && String(err.cause?.message).startsWith('order_closed')) return { value: 'closed' };
    if (err instanceof WorkflowUpdateFailedError && String(err.cause?.message).startsWith(ORDER_NOT_OWNED)) return { value: 'not_owned' };
    throw err;
  }
}
