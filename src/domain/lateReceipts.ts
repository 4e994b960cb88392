import type { DeliveryReport } from './sms';

/** The code a message ends with when its workflow stopped waiting for a receipt (SMS_RECEIPT_TIMEOUT_MS). */
export const RECEIPT_TIMEOUT = 'receipt_timeout';

/** What of a message decides whether a late receipt applies to it. */
export interface ExpiredCandidate {
  status: string;
  error_code?: string;
  provider?: string;
  provider_message_id?: string;
}

/**
 * A receipt that comes after its message's workflow stopped waiting still says what became of the text. It applies
 * when the message ended `expired` for want of a receipt and the receipt is for the send the message recorded; any
 * other finished message keeps its end (a receipt for an earlier, failed-over send changes nothing).
 */
export function takesLateReceipt(message: ExpiredCandidate, report: Pick<DeliveryReport, 'provider' | 'providerMessageId'>): boolean {
  return (
    message.status === 'expired' &&
    message.error_code === RECEIPT_TIMEOUT &&
    message.provider === report.provider &&
    message.provider_message_id === report.providerMessageId
  );
}
