/**
 * Typed client for the LuckyGas order system. It talks to the gateway's HTTP API (never to Temporal), and
 * derives an Idempotency-Key from order number + event, so a retried call texts the customer once.
 * Depends on nothing but `fetch` and `node:crypto` (Node ≥ 18).
 */
export { SIGNATURE_HEADER, TIMESTAMP_HEADER, verifyCallbackSignature } from './callbackSignature';

export type OrderEvent = 'order_confirmation' | 'delivery_on_way' | 'delivery_arrived' | 'delivery_completed' | 'payment_reminder';

/** The order fields the default templates use (the integration document's placeholders). */
export interface Order {
  order_number: string;
  phone: string;
  customer_name?: string;
  /** Free text shown as is, e.g. `今天下午2點` (the document's `scheduled_delivery_time`). */
  delivery_time?: string;
  driver_name?: string;
  /** Minutes until the driver arrives. */
  eta?: number | string;
  amount?: number;
}

/** One SMS, as `POST /api/v1/notifications/send-sms` takes it. */
export interface SendSmsBody {
  phone: string;
  message?: string;
  template_code?: string;
  template_data?: Record<string, string | number>;
  message_type?: string;
  metadata?: Record<string, string | number | boolean | null>;
  /** Send then instead of now (at most 30 days ahead); a Date is sent as ISO 8601. */
  scheduled_at?: string | Date;
  /** Never hand the message to a provider from then on: it becomes `expired` instead. */
  valid_until?: string | Date;
  /** Your own id for the message, unique per API key: a repeat returns the same message (use instead of an Idempotency-Key). */
  reference?: string;
}

export interface SendResult {
  message_id: string;
  status: string;
  segments: number;
  encoding: string;
  scheduled_at?: string | null;
  valid_until?: string | null;
  reference?: string | null;
  /** The gateway already had this request (same order and event, or reference): no second SMS was sent. */
  replayed: boolean;
}

/** What happened to an order; the gateway's order workflow decides which text (if any) each one sends. */
export type OrderLifecycleEvent = 'confirmed' | 'driver_departed' | 'arrived' | 'completed' | 'cancelled' | 'payment_due' | 'paid';

export interface OrderEventInput {
  order_id: string;
  phone: string;
  event: OrderLifecycleEvent;
  /** When it happened (ISO 8601 with a zone, or a Date); default now. Older delivery steps never override newer ones. */
  occurred_at?: string | Date;
  /** Template data: order_number, delivery_time, driver_name, eta, amount; `due_at` (ISO) on payment_due. */
  data?: Record<string, string | number>;
}

export interface OrderEventResult {
  order_id: string;
  event_id: string;
  event: OrderLifecycleEvent;
  decision: 'applied' | 'ignored';
  /** Why ignored: duplicate, superseded, stale, order_cancelled, already_paid. */
  reason: string | null;
  /** The template this event texts, when applied. */
  text: string | null;
  /** When that text goes, if later (a payment reminder). */
  send_at: string | null;
}

export interface OrderTimeline {
  order_id: string;
  /** open → settled (delivered, nothing owed) or cancelled → closed (its workflow ended). */
  state: 'open' | 'settled' | 'cancelled' | 'closed';
  step: OrderLifecycleEvent | null;
  paid: boolean;
  events: { event_id: string; event: OrderLifecycleEvent; occurred_at: string; received_at: string; decision: 'applied' | 'ignored'; reason: string | null }[];
  events_dropped: number;
  texts: {
    event: OrderLifecycleEvent;
    template_code: string;
    state: 'scheduled' | 'queued' | 'sending' | 'accepted' | 'failed' | 'cancelled';
    send_at: string | null;
    message_id: string | null;
    /** The message's status now, as sms-status shows it. */
    message_status: string | null;
    reason: string | null;
    /** Asked back after it was handed over (`paid`, `cancelled`): `pending`, or `too_late` once a provider had it. */
    recall: 'pending' | 'too_late' | null;
  }[];
}

/** A message as `sms-status` (and cancel, and the lookup by reference) show it. */
export interface MessageStatus {
  message_id: string;
  /** scheduled, queued, sending, sent, delivered, undelivered, failed, expired or cancelled */
  status: string;
  scheduled_at: string | null;
  valid_until: string | null;
  reference: string | null;
  /** The API key (id and name) or user that sent it. */
  sent_by: { kind: 'api_key' | 'user' | 'campaign'; id: string; name: string | null } | null;
  [field: string]: unknown;
}

export class SmsGatewayError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { field: string; message: string }[],
  ) {
    super(message);
    this.name = 'SmsGatewayError';
  }
}

/** Which template and message type each order event uses, and which order fields fill it. */
const EVENTS: Record<OrderEvent, { messageType: string; data: (o: Order) => Record<string, string | number | undefined> }> = {
  order_confirmation: { messageType: 'order_confirmation', data: (o) => ({ order_number: o.order_number, delivery_time: o.delivery_time }) },
  delivery_on_way: { messageType: 'delivery_notification', data: (o) => ({ driver_name: o.driver_name, eta: o.eta }) },
  delivery_arrived: { messageType: 'delivery_notification', data: () => ({}) },
  delivery_completed: { messageType: 'delivery_notification', data: (o) => ({ order_number: o.order_number }) },
  payment_reminder: { messageType: 'payment_reminder', data: (o) => ({ order_number: o.order_number, amount: o.amount }) },
};

export class SmsGatewayClient {
  private readonly baseUrl: string;
  private readonly token: string;
  private readonly fetchImpl: typeof fetch;

  constructor(options: { baseUrl: string; token: string; fetch?: typeof fetch }) {
    this.baseUrl = options.baseUrl.replace(/\/$/, '');
    this.token = options.token;
    this.fetchImpl = options.fetch ?? fetch;
  }

  /** Texts the customer about an order event, at most once per order and event. */
  sendOrderNotification(order: Order, event: OrderEvent): Promise<SendResult> {
    const { messageType, data } = EVENTS[event];
    const templateData = Object.fromEntries(Object.entries(data(order)).filter(([, v]) => v !== undefined)) as Record<string, string | number>;
    return this.sendSms(
      {
        phone: order.phone,
        template_code: event,
        template_data: templateData,
        message_type: messageType,
        metadata: { order_number: order.order_number, event },
      },
      `order:${order.order_number}:${event}`,
    );
  }

  /**
   * Reports an order event to the order's workflow, which texts the right template at most once per order and event,
   * ignores repeats and events a later step overtook, and holds or takes back payment reminders. Safe to retry.
   */
  async orderEvent(input: OrderEventInput): Promise<OrderEventResult> {
    const occurred = input.occurred_at ?? new Date();
    const body = { ...input, occurred_at: occurred instanceof Date ? occurred.toISOString() : occurred, data: input.data ?? {} };
    const response = await this.request('/api/v1/notifications/order-events', { method: 'POST', body: JSON.stringify(body) });
    return (await response.json()) as OrderEventResult;
  }

  /** The order's events (applied or ignored, and why) and its texts with their message status. */
  async orderTimeline(orderId: string): Promise<OrderTimeline> {
    const response = await this.request(`/api/v1/notifications/orders/${encodeURIComponent(orderId)}`, { method: 'GET' });
    return (await response.json()) as OrderTimeline;
  }

  async sendSms(body: SendSmsBody, idempotencyKey?: string): Promise<SendResult> {
    const response = await this.request('/api/v1/notifications/send-sms', {
      method: 'POST',
      body: JSON.stringify(body),
      headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
    });
    const json = (await response.json()) as Omit<SendResult, 'replayed'>;
    return { ...json, replayed: response.headers.get('idempotent-replayed') === 'true' };
  }

  async getStatus(messageId: string): Promise<MessageStatus> {
    const response = await this.request(`/api/v1/notifications/sms-status/${encodeURIComponent(messageId)}`, { method: 'GET' });
    return (await response.json()) as MessageStatus;
  }

  /**
   * Takes back a message no provider has been given yet (scheduled or queued). Throws SmsGatewayError 409
   * (`not_cancellable`) when it is too late: a provider already has it, or it has ended.
   */
  async cancelSms(messageId: string): Promise<MessageStatus> {
    const response = await this.request(`/api/v1/notifications/sms/${encodeURIComponent(messageId)}/cancel`, { method: 'POST' });
    return (await response.json()) as MessageStatus;
  }

  /** The message this API key sent with `reference`, or null when there is none. */
  async findByReference(reference: string): Promise<MessageStatus | null> {
    try {
      const response = await this.request(`/api/v1/notifications/sms?reference=${encodeURIComponent(reference)}`, { method: 'GET' });
      return (await response.json()) as MessageStatus;
    } catch (err) {
      if (err instanceof SmsGatewayError && err.status === 404) return null;
      throw err;
    }
  }

  private async request(path: string, init: { method: string; body?: string; headers?: Record<string, string> }): Promise<Response> {
    const response = await this.fetchImpl(`${this.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${this.token}`, ...(init.body ? { 'content-type': 'application/json' } : {}), ...init.headers },
    });
    if (response.ok) return response;
    const error = (
      (await response.json().catch(() => null)) as { error?: { code: string; message: string; details?: { field: string; message: string }[] } } | null
    )?.error;
    throw new SmsGatewayError(response.status, error?.code ?? 'http_error', error?.message ?? `HTTP ${response.status}`, error?.details);
  }
}
