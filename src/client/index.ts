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

export interface SendResult {
  message_id: string;
  status: string;
  segments: number;
  encoding: string;
  /** The gateway already had this request (same order and event): no second SMS was sent. */
  replayed: boolean;
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

  async sendSms(body: Record<string, unknown>, idempotencyKey?: string): Promise<SendResult> {
    const response = await this.request('/api/v1/notifications/send-sms', {
      method: 'POST',
      body: JSON.stringify(body),
      headers: idempotencyKey ? { 'Idempotency-Key': idempotencyKey } : {},
    });
    const json = (await response.json()) as Omit<SendResult, 'replayed'>;
    return { ...json, replayed: response.headers.get('idempotent-replayed') === 'true' };
  }

  async getStatus(messageId: string): Promise<Record<string, unknown>> {
    const response = await this.request(`/api/v1/notifications/sms-status/${encodeURIComponent(messageId)}`, { method: 'GET' });
    return (await response.json()) as Record<string, unknown>;
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
