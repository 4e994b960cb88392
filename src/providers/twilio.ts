import twilio from 'twilio';
import type { ProviderConfig } from '../db/providers';
import type { DeliveryReport } from '../domain/sms';
import { ProviderError, fromHttpStatus, fromTransportError } from './errors';
import type { OutboundSms, ProviderHttpOptions, SendAccepted, SmsProvider } from './types';

/** Twilio error codes that mean this message can never go out, whichever provider we try. */
const MESSAGE_ERRORS = new Set([21211, 21214, 21408, 21610, 21612, 21614, 30003, 30005, 30006]);
/** Codes that mean this account cannot send right now: fail over. */
const PROVIDER_ERRORS = new Set([20003, 20005, 20404, 21212, 21606, 21659, 30002, 30004]);

/** Twilio through the official package; `settings.api_url` redirects it (simulator, test double, regional host). */
export class TwilioProvider implements SmsProvider {
  readonly name = 'twilio' as const;
  private readonly client: twilio.Twilio;

  constructor(
    private readonly config: ProviderConfig,
    http: ProviderHttpOptions,
  ) {
    const { account_sid, auth_token } = config.credentials;
    // The package retries nothing by default (autoRetry is off); Temporal owns retries.
    this.client = twilio(account_sid, auth_token, { timeout: http.timeoutMs });
    this.client.api.baseUrl = config.settings.api_url.replace(/\/$/, '');
  }

  async send(sms: OutboundSms): Promise<SendAccepted> {
    const { from_number, messaging_service_sid } = this.config.settings;
    try {
      const message = await this.client.messages.create({
        to: sms.phone.e164,
        body: sms.body,
        statusCallback: sms.receiptUrl,
        ...(messaging_service_sid ? { messagingServiceSid: messaging_service_sid } : { from: from_number }),
      });
      return { providerMessageId: message.sid };
    } catch (err) {
      throw classify(err);
    }
  }
}

function classify(err: unknown): ProviderError {
  const e = err as { status?: number; code?: number; message?: string };
  if (typeof e?.status !== 'number') return fromTransportError('twilio', err);
  const code = typeof e.code === 'number' ? e.code : undefined;
  const text = `twilio ${code ?? e.status}: ${e.message ?? 'error'}`;
  if (code !== undefined && MESSAGE_ERRORS.has(code)) return ProviderError.messageRejected('twilio', String(code), text);
  if (code !== undefined && PROVIDER_ERRORS.has(code)) return ProviderError.providerDown('twilio', String(code), text);
  const byStatus = fromHttpStatus('twilio', e.status);
  return new ProviderError({
    provider: 'twilio',
    code: String(code ?? byStatus.code),
    message: text,
    retryable: byStatus.retryable,
    scope: byStatus.scope,
    ambiguous: byStatus.ambiguous,
  });
}

/** StatusCallback → receipt; intermediate statuses (queued, sending, sent) are not receipts. */
export function twilioReport(params: Record<string, string>): Omit<DeliveryReport, 'receivedAt'> | undefined {
  const status = params.MessageStatus ?? params.SmsStatus;
  const sid = params.MessageSid ?? params.SmsSid;
  if (!sid) return undefined;
  if (status === 'delivered') return { provider: 'twilio', providerMessageId: sid, outcome: 'delivered', providerStatus: status };
  if (status === 'undelivered' || status === 'failed') {
    return { provider: 'twilio', providerMessageId: sid, outcome: 'undelivered', providerStatus: status, errorCode: params.ErrorCode || undefined };
  }
  return undefined;
}
