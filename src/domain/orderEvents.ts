/**
 * The rules of an order's texts (issue 13): which event sends which default template, and which events are
 * ignored. Pure and workflow-safe (no I/O, no Node APIs): the order workflow decides with it, the API validates
 * with it, and the unit tests read it directly.
 */
export const ORDER_EVENTS = ['confirmed', 'driver_departed', 'arrived', 'completed', 'cancelled', 'payment_due', 'paid'] as const;
export type OrderEventName = (typeof ORDER_EVENTS)[number];

/** Order ids become workflow ids (`order-<id>`) and URL segments: the order system's own numbers fit. */
export const ORDER_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
export const orderWorkflowId = (orderId: string): string => `order-${orderId}`;

/** The failure type of an order text the gateway will not take (template data missing, the number's budget spent). */
export const ORDER_TEXT_REFUSED = 'OrderTextRefused';

/**
 * Order texts are keyed `<order_id>:<event>` under this principal, whoever posted the event: one message per order
 * and event, even across two runs of an order's workflow.
 */
export const ORDER_TEXT_PRINCIPAL = 'order-notifications';
export const orderTextKey = (orderId: string, event: OrderEventName): string => `${orderId}:${event}`;

/**
 * The ownership rule of orders, in one place: an order (or a stored event of it) owned by one sender key is another
 * sender key's to neither post to nor read. `owner` undefined: no sender key has claimed it; `key` undefined: an
 * admin, who may act on any order.
 */
export const ownedByAnotherKey = (owner: string | undefined, key: string | undefined): boolean => key !== undefined && owner !== undefined && owner !== key;

/** Delivery steps in the order a customer lives them; an event behind the latest applied step is moot. */
const DELIVERY_STEPS: Partial<Record<OrderEventName, number>> = { confirmed: 1, driver_departed: 2, arrived: 3, completed: 4 };
export const isDeliveryStep = (event: OrderEventName): boolean => DELIVERY_STEPS[event] !== undefined;

/** The default template (src/domain/defaultTemplates.ts) each event texts; `cancelled` and `paid` text nothing. */
export const TEMPLATE_FOR_EVENT: Partial<Record<OrderEventName, string>> = {
  confirmed: 'order_confirmation',
  driver_departed: 'delivery_on_way',
  arrived: 'delivery_arrived',
  completed: 'delivery_completed',
  payment_due: 'payment_reminder',
};

export type IgnoreReason =
  /** This event was applied before (the order system retried or sent it twice). */
  | 'duplicate'
  /** A later delivery step was already applied, e.g. `driver_departed` after `arrived`: its text would be wrong now. */
  | 'superseded'
  /** It happened (`occurred_at`) before the latest applied delivery step did. */
  | 'stale'
  /** The order was cancelled: nothing more is sent. */
  | 'order_cancelled'
  /** A payment reminder for an order already paid. */
  | 'already_paid';

/** What an order's workflow remembers to decide the next event. Carried across continue-as-new. */
export interface OrderProgress {
  applied: OrderEventName[];
  /** The latest applied delivery step (0: none) and when it happened (epoch ms). */
  step: number;
  stepOccurredAtMs: number;
  cancelled: boolean;
  paid: boolean;
  /** A `payment_due` was applied and not yet paid. */
  owing: boolean;
}

export const NEW_ORDER: OrderProgress = { applied: [], step: 0, stepOccurredAtMs: 0, cancelled: false, paid: false, owing: false };

export type Decision = { apply: true } | { apply: false; reason: IgnoreReason };

/**
 * Whether an event changes the order. Events are decided in the order they reach the gateway; `occurred_at` only
 * keeps an older delivery step from overriding a newer one. `cancelled` and `paid` are applied whenever they come
 * (they only stop things), unless repeated.
 */
export function decide(progress: OrderProgress, event: OrderEventName, occurredAtMs: number): Decision {
  if (progress.cancelled) return { apply: false, reason: 'order_cancelled' };
  if (event === 'payment_due' && progress.paid) return { apply: false, reason: 'already_paid' };
  if (progress.applied.includes(event)) return { apply: false, reason: 'duplicate' };
  const step = DELIVERY_STEPS[event];
  if (step !== undefined) {
    if (step <= progress.step) return { apply: false, reason: 'superseded' };
    if (occurredAtMs < progress.stepOccurredAtMs) return { apply: false, reason: 'stale' };
  }
  return { apply: true };
}

/** The order after an applied event. */
export function apply(progress: OrderProgress, event: OrderEventName, occurredAtMs: number): OrderProgress {
  const step = DELIVERY_STEPS[event];
  return {
    ...progress,
    applied: [...progress.applied, event],
    ...(step !== undefined ? { step, stepOccurredAtMs: occurredAtMs } : {}),
    ...(event === 'cancelled' ? { cancelled: true } : {}),
    ...(event === 'paid' ? { paid: true, owing: false } : {}),
    ...(event === 'payment_due' ? { owing: true } : {}),
  };
}

/** Settled: cancelled, or delivered with nothing owed. A settled order's workflow ends after a grace period. */
export const isSettled = (p: OrderProgress): boolean => p.cancelled || (p.applied.includes('completed') && !p.owing);

/** The name of the latest applied delivery step, for the timeline. */
export const stepName = (p: OrderProgress): OrderEventName | null =>
  (Object.entries(DELIVERY_STEPS).find(([, s]) => s === p.step)?.[0] as OrderEventName | undefined) ?? null;
