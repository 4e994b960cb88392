/** Shared vocabulary of the gateway; workflow-safe (no I/O, no Node APIs). */
export const PROVIDER_NAMES = ['twilio', 'every8d', 'mitake'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

/** Order and delivery notices are transactional; `marketing` is the only type held by quiet hours. */
export const MESSAGE_TYPES = ['order_confirmation', 'delivery_notification', 'payment_reminder', 'marketing', 'general', 'test'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

/** Notices a customer is waiting for: never held by quiet hours, and a higher per-number allowance. */
export const TRANSACTIONAL_TYPES: readonly MessageType[] = ['order_confirmation', 'delivery_notification'];
export const isTransactional = (type: string): boolean => (TRANSACTIONAL_TYPES as readonly string[]).includes(type);

/** Longest text we send: Every8d's limit, the lowest of our providers, so failover never meets a longer one. */
export const MAX_MESSAGE_CHARS = 333;
/**
 * Control characters other than line feed, which no provider transports faithfully, and lone UTF-16 surrogate halves,
 * which are no text at all (the store would keep them as U+FFFD, so a reference with one could never be found again).
 */
export const CONTROL_CHARS = /[\u0000-\u0009\u000B-\u001F\u007F]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Every status a message can have (the log's `status` filter, the rollups' counters and sms-status all use this
 * list). `scheduled`: held until its `scheduled_at` (or the end of quiet hours); `cancelled`: the sender took it
 * back before any provider had it; `expired`: no receipt before the deadline, or `valid_until` passed before a
 * provider took it.
 */
export const SMS_STATUSES = ['scheduled', 'queued', 'sending', 'sent', 'delivered', 'undelivered', 'failed', 'expired', 'cancelled'] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];
/**
 * Statuses that say how a send ended; delivery rate is delivered ÷ these. `cancelled` is not among them: the
 * sender's decision says nothing about how well messages are delivered.
 */
export const DECIDED_STATUSES: readonly SmsStatus[] = ['delivered', 'undelivered', 'expired', 'failed'];
/** Statuses after which nothing changes. */
export const FINAL_STATUSES: readonly SmsStatus[] = [...DECIDED_STATUSES, 'cancelled'];
/** No provider call begun: a cancel may still win. (During a call, a `sending` message's workflow decides: SendGate.) */
export const CANCELLABLE_STATUSES: readonly SmsStatus[] = ['scheduled', 'queued'];

export type ReceiptOutcome = 'delivered' | 'undelivered';

/** A delivery receipt as the workflow sees it, whichever provider and transport it came from. */
export interface DeliveryReport {
  provider: ProviderName;
  providerMessageId: string;
  outcome: ReceiptOutcome;
  /** The provider's own status code/text, kept for the audit trail. */
  providerStatus: string;
  errorCode?: string;
  /** ISO time the receipt reached us. */
  receivedAt: string;
  /** It waited in sms_early_receipts (db/earlyReceipts.ts) until its send was recorded; removed once recorded. */
  heldEarly?: true;
}

/** A provider took a send: what recording it on the message needs. */
export interface ProviderAccepted {
  providerMessageId: string;
  pricePerSegment: number;
  /** Charge the provider itself reported for this send (Every8d), in TWD. */
  reportedCost?: number;
  /** The provider said it had already seen this client reference (Mitake `Duplicate=Y`). */
  duplicate?: boolean;
  /** See SendAccepted: found in the provider's records after a call that failed without a clear answer. */
  foundAfter?: string;
  /** See SendAccepted: recording the send also stores the provider-id ref, and early receipts are looked for. */
  matchReceiptsByProviderId?: true;
}

export { MESSAGE_ID_PATTERN } from './idPatterns';

export const workflowIdFor = (messageId: string): string => `sms-${messageId}`;
export const providerTaskQueue = (provider: ProviderName): string => `sms-provider-${provider}`;
export const SMS_TASK_QUEUE = 'sms';
/**
 * Order and delivery notices run their workflow tasks and bookkeeping on a queue (and worker slots) of their own,
 * so they never wait inside a worker behind a campaign's tasks; the provider queues they share with campaigns
 * serve them first by task priority.
 */
export const SMS_TRANSACTIONAL_TASK_QUEUE = 'sms-transactional';
export const TRANSACTIONAL_PRIORITY = 1;
export const workflowTaskQueueFor = (messageType: string): string => (isTransactional(messageType) ? SMS_TRANSACTIONAL_TASK_QUEUE : SMS_TASK_QUEUE);
