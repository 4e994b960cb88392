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
  private readonly lookups: twilio.Twilio;

  constructor(
    private readonly config: ProviderConfig,
    http: ProviderHttpOptions,
  ) {
    const { account_sid, auth_token } = config.credentials;
    // The package retries nothing by default (autoRetry is off); Temporal owns retries.
    this.client = twilio(account_sid, auth_token, { timeout: http.timeoutMs });
    this.client.api.baseUrl = config.settings.api_url.replace(/\/$/, '');
    // Half the usual wait for the lookup after an unclear call: the whole send stays within 1.5 provider timeouts,
    // inside what the activity allows (as Mitake's second ask).
    this.lookups = twilio(account_sid, auth_token, { timeout: http.timeoutMs / 2 });
    this.lookups.api.baseUrl = this.client.api.baseUrl;
  }

  /**
   * Twilio takes no client reference, so a call that ends without a clear answer (a timeout, a broken connection, a
   * gateway's 502/504, Twilio's own 500) is settled by reading Twilio's records: the account's latest messages to
   * the number. One with this exact text, from our sender, created since the call began is this send: accepted, and
   * neither resent nor failed over (the customer is texted once). Otherwise the failure stands as before.
   */
  async send(sms: OutboundSms): Promise<SendAccepted> {
    const startedAt = Date.now();
    try {
      const message = await this.client.messages.create({ to: sms.phone.e164, body: sms.body, statusCallback: sms.receiptUrl, ...this.sender() });
      return { providerMessageId: message.sid };
    } catch (err) {
      const failure = classify(err);
      if (!failure.ambiguous && failure.code !== INTERNAL_ERROR) throw failure;
      const sid = await this.createdSince(sms, startedAt).catch(() => undefined);
      if (sid === undefined) throw failure;
      return { providerMessageId: sid, foundAfter: failure.code };
    }
  }

  private sender(): { from?: string } | { messagingServiceSid: string } {
    const { from_number, messaging_service_sid } = this.config.settings;
    return messaging_service_sid ? { messagingServiceSid: messaging_service_sid } : { from: from_number };
  }

  /**
   * The sid of the one message Twilio created for this send since `startedAt`; none if none or several match. By
   * content: another message of ours with the same text to the same number in the same seconds, created when this
   * one was not, would be taken for it (docs/resilience.md).
   */
  private async createdSince(sms: OutboundSms, startedAt: number): Promise<string | undefined> {
    const recent = await this.lookups.messages.list({ to: sms.phone.e164, limit: LOOKUP_PAGE, pageSize: LOOKUP_PAGE });
    const sender = this.sender();
    const ours = recent.filter(
      (m) =>
        m.direction?.startsWith('outbound') &&
        m.body === sms.body &&
        ('messagingServiceSid' in sender ? m.messagingServiceSid === sender.messagingServiceSid : m.from === sender.from) &&
        m.dateCreated.getTime() >= startedAt - CLOCK_SKEW_MS,
    );
    return ours.length === 1 ? ours[0].sid : undefined;
  }
}

/** Twilio's own "internal server error": the message may or may not have been created. */
const INTERNAL_ERROR = '20500';
/** The latest messages to one number read to settle an unclear call: ours, if created, is among the newest. */
const LOOKUP_PAGE = 20;
/**
 * Twilio stamps `date_created` by its clock, to the second: a send is matched if created up to this long before the
 * call began. Short, so that an identical text sent just before is not taken for this one; missing a match only
 * leaves the failure as it was.
 */
const CLOCK_SKEW_MS = 5_000;

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
