import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  patched,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities/types';
import {
  NEW_ORDER,
  ORDER_TEXT_REFUSED,
  ORDER_EVENTS,
  TEMPLATE_FOR_EVENT,
  apply,
  decide,
  isDeliveryStep,
  isSettled,
  ownedByAnotherKey,
  stepName,
  type IgnoreReason,
  type OrderEventName,
  type OrderProgress,
} from '../domain/orderEvents';

/** One event as the API hands it over; phone and template data stay in MongoDB (sms_order_events, by `eventId`). */
export interface OrderEventInput {
  eventId: string;
  event: OrderEventName;
  /** ISO 8601. */
  occurredAt: string;
  /** `payment_due` only: when to remind if still unpaid (ISO 8601); absent or past: at once. */
  dueAt?: string;
  /**
   * The client key that posted it, when a `sender` key did (admins post for anyone). The first such key owns the
   * order: another key's events are refused, and the API shows the timeline only to its owner among senders.
   */
  sender?: string;
}

export interface OrderEventDecision {
  decision: 'applied' | 'ignored';
  reason?: IgnoreReason;
  /** The template this event texts, when applied and it texts one. */
  text?: string;
  /** When that text goes, if later than now (a payment reminder). */
  sendAt?: string;
}

export interface TimelineEvent {
  eventId: string;
  event: OrderEventName;
  occurredAt: string;
  receivedAt: string;
  decision: 'applied' | 'ignored';
  reason?: IgnoreReason;
}

/** One text the order owes or sent. `accepted`: the gateway stored it as `messageId` (its status is that message's). */
export interface OrderText {
  event: OrderEventName;
  eventId: string;
  templateCode: string;
  state: 'scheduled' | 'queued' | 'sending' | 'accepted' | 'failed' | 'cancelled';
  sendAt?: string;
  messageId?: string;
  /** Why it failed (the gateway's error code) or was cancelled (`paid`, `order_cancelled`). */
  reason?: string;
  /**
   * Handed over, then made wrong by a later event (`paid`, `order_cancelled`): its message is asked to cancel, and
   * `tooLate` records that a provider already had it.
   */
  recall?: { reason: string; tooLate?: true };
}

/** Where asking a handed text back stands: `pending` until its message answers; none for a text not asked back. */
export function recallState(t: OrderText): 'pending' | 'too_late' | undefined {
  if (t.state !== 'accepted' || !t.recall) return undefined;
  return t.recall.tooLate ? 'too_late' : 'pending';
}

export interface OrderTimeline {
  orderId: string;
  state: 'open' | 'settled' | 'cancelled' | 'closed';
  step: OrderEventName | null;
  paid: boolean;
  events: TimelineEvent[];
  /** Older entries left out to bound the workflow's state (a flood of repeats). */
  eventsDropped: number;
  texts: OrderText[];
  /** The sender key that owns the order (see OrderEventInput.sender); none for orders only admins posted to. */
  owner?: string;
}

/** Carried across continue-as-new. */
interface OrderState {
  progress: OrderProgress;
  events: TimelineEvent[];
  eventsDropped: number;
  texts: OrderText[];
  /** Every event document stored for this order, removed from MongoDB when the workflow ends. */
  eventIds: string[];
  lastEventAtMs: number;
  settledAtMs?: number;
  owner?: string;
}

export interface OrderWorkflowInput {
  orderId: string;
  /** How long a settled order still absorbs late and repeated events; default 24 h. */
  lingerMs?: number;
  /** How long an order that never settles waits for its next event; default 30 days. */
  idleMs?: number;
  /** History length that triggers continue-as-new (tests lower it). */
  historyLimit?: number;
  carried?: OrderState;
}

/** The update validator's refusal of an event from a key that does not own the order (the API answers 409). */
export const ORDER_NOT_OWNED = 'order_not_owned';

export const orderEventUpdate = defineUpdate<OrderEventDecision, [OrderEventInput]>('orderEvent');
export const orderTimelineQuery = defineQuery<OrderTimeline>('orderTimeline');

const HOUR = 3_600_000;
const DEFAULT_LINGER_MS = 24 * HOUR;
const DEFAULT_IDLE_MS = 30 * 24 * HOUR;
const DEFAULT_HISTORY_LIMIT = 2_000;
const MAX_TIMELINE_EVENTS = 200;
const MAX_EVENT_IDS = 1_000;

const activities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', nonRetryableErrorTypes: [ORDER_TEXT_REFUSED] },
});

/**
 * `order-<order_id>`: owns one order's texts. Events arrive as updates (update-with-start from the API), are
 * decided by domain/orderEvents.ts in arrival order, and applied events queue their default template; texts are
 * handed to the normal SMS path one at a time, in order. A payment reminder waits on a durable timer until its
 * `due_at`; `paid` and `cancelled` take back whatever has not gone yet. The workflow ends `lingerMs` after the order
 * settles (or `idleMs` after its last event), and continues as new when its history grows long.
 */
export async function orderNotificationsWorkflow(input: OrderWorkflowInput): Promise<OrderTimeline> {
  const { orderId } = input;
  const lingerMs = input.lingerMs ?? DEFAULT_LINGER_MS;
  const idleMs = input.idleMs ?? DEFAULT_IDLE_MS;
  const s: OrderState = input.carried ?? { progress: NEW_ORDER, events: [], eventsDropped: 0, texts: [], eventIds: [], lastEventAtMs: Date.now() };
  let changes = 0;
  let ending = false;

  setHandler(orderTimelineQuery, () => view(orderId, s, ending));
  setHandler(
    orderEventUpdate,
    (event) => {
      const decision = receive(s, event);
      changes += 1;
      return decision;
    },
    {
      // Refused before it reaches history: an ending workflow takes no new events (the API answers 409).
      validator: (event) => {
        // Another client system's order: refused before history, so the owner's texts and timeline are untouched.
        // Checked first: that key learns only that the id is taken, not whether the order is ending.
        if (ownedByAnotherKey(s.owner, event.sender)) throw new Error(`${ORDER_NOT_OWNED}: another key owns this order`);
        if (ending) throw new Error('order_closed: this order is closed');
        if (!ORDER_EVENTS.includes(event.event)) throw new Error(`unknown order event "${event.event}"`);
      },
    },
  );

  for (;;) {
    const recalls = s.texts.filter((t) => recallState(t) === 'pending');
    if (recalls.length) {
      await recall(recalls);
      continue;
    }
    const next = s.texts.find((t) => t.state === 'queued');
    if (next) {
      await send(orderId, next);
      continue;
    }
    const due = s.texts.find((t) => t.state === 'scheduled' && Date.parse(t.sendAt!) <= Date.now());
    if (due) {
      due.state = 'queued';
      continue;
    }
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (input.historyLimit ?? DEFAULT_HISTORY_LIMIT)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof orderNotificationsWorkflow>({ ...input, carried: s });
    }
    const deadline = nextDeadline(s, lingerMs, idleMs);
    if (deadline <= Date.now()) break;
    const seen = changes;
    await condition(() => changes !== seen, deadline - Date.now());
  }
  ending = true;
  await condition(allHandlersFinished);
  // The phone numbers and template data of this order's events are needed no longer.
  await activities.forgetOrderEvents({ eventIds: s.eventIds });
  return view(orderId, s, true);
}

/** Decides one event and records what follows from it. Synchronous: concurrent updates are decided one by one. */
function receive(s: OrderState, input: OrderEventInput): OrderEventDecision {
  // State only, no command: histories recorded before owners existed replay unchanged (their inputs carry no sender).
  s.owner ??= input.sender;
  // The same request again (the API retried it): the same answer, nothing recorded twice.
  const earlier = s.events.find((e) => e.eventId === input.eventId);
  if (earlier)
    return answer(
      earlier,
      s.texts.find((t) => t.eventId === input.eventId),
    );

  const occurredAtMs = Date.parse(input.occurredAt);
  const decision = decide(s.progress, input.event, occurredAtMs);
  const entry: TimelineEvent = {
    eventId: input.eventId,
    event: input.event,
    occurredAt: input.occurredAt,
    receivedAt: new Date().toISOString(),
    decision: decision.apply ? 'applied' : 'ignored',
    ...(decision.apply ? {} : { reason: decision.reason }),
  };
  s.events.push(entry);
  if (s.events.length > MAX_TIMELINE_EVENTS) {
    s.events.shift();
    s.eventsDropped += 1;
  }
  if (s.eventIds.length < MAX_EVENT_IDS) s.eventIds.push(input.eventId);
  s.lastEventAtMs = Date.now();
  if (!decision.apply) return answer(entry);

  s.progress = apply(s.progress, input.event, occurredAtMs);
  // A step's text still waiting behind another text is as moot as a step arriving late: the customer gets the newer one.
  if (isDeliveryStep(input.event)) takeBack(s, (t) => isDeliveryStep(t.event), 'superseded');
  // A reminder to pay after paying, or any text of a cancelled order, is wrong: asked back even if handed over.
  if (input.event === 'paid') takeBack(s, (t) => t.templateCode === TEMPLATE_FOR_EVENT.payment_due, 'paid', { handedToo: true });
  if (input.event === 'cancelled') takeBack(s, () => true, 'order_cancelled', { handedToo: true });
  const templateCode = TEMPLATE_FOR_EVENT[input.event];
  let text: OrderText | undefined;
  if (templateCode) {
    const later = input.dueAt && Date.parse(input.dueAt) > Date.now() ? input.dueAt : undefined;
    text = { event: input.event, eventId: input.eventId, templateCode, state: later ? 'scheduled' : 'queued', ...(later ? { sendAt: later } : {}) };
    s.texts.push(text);
  }
  const settled = isSettled(s.progress);
  if (settled && s.settledAtMs === undefined) s.settledAtMs = Date.now();
  if (!settled) s.settledAtMs = undefined;
  return answer(entry, text);
}

function answer(entry: TimelineEvent, text?: OrderText): OrderEventDecision {
  return {
    decision: entry.decision,
    ...(entry.reason ? { reason: entry.reason } : {}),
    ...(text ? { text: text.templateCode } : {}),
    ...(text?.sendAt ? { sendAt: text.sendAt } : {}),
  };
}

/** Order workflows started before this patch never asked back a handed text: their histories hold no recall. */
const RECALLS_HANDED_TEXTS = 'order-recalls-handed-texts';

/**
 * Texts not yet handed to the SMS path are not sent. `handedToo`: one already handed over (or being handed) is
 * asked back as well; the main loop asks its message to cancel once it is handed, and a provider that already has
 * it wins. Without it a handed text goes on: a superseded delivery step still arrives before the newer one, which
 * is redundant, not wrong.
 */
function takeBack(s: OrderState, which: (t: OrderText) => boolean, reason: string, { handedToo = false } = {}): void {
  for (const t of s.texts) {
    if (!which(t)) continue;
    if (t.state === 'queued' || t.state === 'scheduled') {
      t.state = 'cancelled';
      t.reason = reason;
    } else if (handedToo && (t.state === 'sending' || t.state === 'accepted') && !t.recall && patched(RECALLS_HANDED_TEXTS)) {
      t.recall = { reason };
    }
  }
}

/** Asks the handed texts' messages to cancel: the same rules as the API's cancel (services/smsCancel.ts). */
async function recall(texts: OrderText[]): Promise<void> {
  const answers = await activities.recallOrderTexts({ messageIds: texts.map((t) => t.messageId!) });
  for (const t of texts) {
    if (answers[t.messageId!] === 'cancelled') {
      t.state = 'cancelled';
      t.reason = t.recall!.reason;
    } else t.recall!.tooLate = true;
  }
}

/** Hands one text to the SMS path; the activity's idempotency key (order + event) makes a retry find the same message. */
async function send(orderId: string, text: OrderText): Promise<void> {
  text.state = 'sending';
  try {
    const { messageId } = await activities.sendOrderText({ orderId, eventId: text.eventId, templateCode: text.templateCode });
    text.state = 'accepted';
    text.messageId = messageId;
  } catch (err) {
    if (!(err instanceof ActivityFailure && err.cause instanceof ApplicationFailure)) throw err;
    text.state = 'failed';
    text.reason = (err.cause.details?.[0] as { code?: string } | undefined)?.code ?? err.cause.type ?? 'error';
  }
}

/** The next moment something is due: a scheduled text, the end of a settled order's grace, or the idle limit. */
function nextDeadline(s: OrderState, lingerMs: number, idleMs: number): number {
  const scheduled = s.texts.filter((t) => t.state === 'scheduled').map((t) => Date.parse(t.sendAt!));
  const end = s.settledAtMs !== undefined ? s.settledAtMs + lingerMs : scheduled.length ? Number.POSITIVE_INFINITY : s.lastEventAtMs + idleMs;
  return Math.min(end, ...scheduled);
}

function view(orderId: string, s: OrderState, closed: boolean): OrderTimeline {
  const p = s.progress;
  return {
    orderId,
    state: closed ? 'closed' : p.cancelled ? 'cancelled' : isSettled(p) ? 'settled' : 'open',
    step: stepName(p),
    paid: p.paid,
    events: s.events,
    eventsDropped: s.eventsDropped,
    texts: s.texts,
    ...(s.owner === undefined ? {} : { owner: s.owner }),
  };
}
