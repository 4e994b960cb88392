import type { SmsStatus } from './sms';

/** What the caller's callback_url receives for one status change of a message (the JSON body, as documented). */
export interface StatusCallbackPayload {
  message_id: string;
  /** 1, 2, 3 … per message, in the order the changes happened: a receiver drops one lower than it has seen. */
  sequence: number;
  status: SmsStatus;
  /** The status the previous callback reported (the first reports the status the 202 answer gave). */
  previous_status: SmsStatus;
  provider: string | null;
  provider_message_id: string | null;
  error: { code: string } | null;
  occurred_at: string;
  /** The caller's own reference for the message, when it gave one. */
  reference: string | null;
}

/** One callback to deliver: travels as the workflow input (no phone number or text in it). */
export interface StatusCallbackInput {
  callbackId: string;
  url: string;
  /** The API key whose callback secret signs it, read when the POST is made (so a rotated secret applies). */
  keyId: string;
  payload: StatusCallbackPayload;
}

/** How a callback ended: delivered (2xx), or given up (refused by the receiver, or no success within the day). */
export interface StatusCallbackOutcome {
  outcome: 'delivered' | 'gave_up';
  httpStatus?: number;
  reason?: string;
}

/** Deterministic, so a retried step or a relayed start finds the same workflow instead of POSTing twice. */
export const statusCallbackId = (messageId: string, sequence: number): string => `callback-${messageId}-${sequence}`;
