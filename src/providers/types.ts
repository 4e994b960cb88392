import type { DeliveryReport, ProviderName } from '../domain/sms';
import type { TaiwanPhone } from '../domain/phone';

/** One SMS as a provider adapter needs it. `messageId` is our client reference (idempotency at the provider). */
export interface OutboundSms {
  messageId: string;
  phone: TaiwanPhone;
  body: string;
  /** Where the provider should push the receipt for this one message (Twilio, Mitake). */
  receiptUrl: string;
}

export interface SendAccepted {
  providerMessageId: string;
  /** Charge the provider itself reported for this send (Every8d), in TWD. */
  reportedCost?: number;
  /** The provider said it had already seen this client reference (Mitake `Duplicate=Y`). */
  duplicate?: boolean;
  /**
   * The call failed without a clear answer (this failure code), and the provider's own records showed it had taken
   * the send (Twilio): accepted, not resent.
   */
  foundAfter?: string;
  /** Points the account has left after this send, when the reply says (Every8d `CREDIT`, Mitake `AccountPoint`). */
  balance?: number;
  /**
   * The receipts of this send will not name our message, only the provider's id: they are matched through
   * sms_provider_refs and may arrive before the send is recorded (held early receipts). Every8d, when the account
   * refused our id as the send's subject; every other send's receipts name the message.
   */
  matchReceiptsByProviderId?: true;
}

/** Same shape for every provider; every failure leaves as a ProviderError. */
export interface SmsProvider {
  readonly name: ProviderName;
  send(sms: OutboundSms): Promise<SendAccepted>;
  /** For providers without push receipts: ask for the status of one sent message; undefined while pending. */
  fetchReceipt?(providerMessageId: string, phone: TaiwanPhone): Promise<Omit<DeliveryReport, 'receivedAt'> | undefined>;
  /** For prepaid accounts: the points left, asked of the provider's balance endpoint. */
  queryBalance?(): Promise<number>;
}

export interface ProviderHttpOptions {
  /** Abort one provider call after this long; the outcome is then unknown (the provider may have accepted). */
  timeoutMs: number;
}
