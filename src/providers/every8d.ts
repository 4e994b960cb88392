import type { ProviderConfig } from '../db/providers';
import type { TaiwanPhone } from '../domain/phone';
import type { DeliveryReport } from '../domain/sms';
import { ProviderError } from './errors';
import { joinUrl, postForm } from './http';
import type { OutboundSms, ProviderHttpOptions, SendAccepted, SmsProvider } from './types';

/** Send error codes (negative first field of the reply); anything unlisted counts as transient. */
const PROVIDER_CODES = new Set(['-2', '-11', '-13', '-14']);
const MESSAGE_CODES = new Set(['-1', '-3', '-4', '-5', '-6', '-8', '-12', '-15', '-20', '-24', '-27']);

/** The send's reply when the subject is too long: a refusal before sending. */
const SUBJECT_TOO_LONG = '-15';

/** Delivery STATUS codes of getDeliveryStatus / the account callback. 0, 300 and 700 are still pending. */
const DELIVERED = '100';
const UNDELIVERED = new Set(['101', '102', '103', '104', '105', '106', '107', '301', '303', '500']);

/** Every8d SMS HTTP API 2.1 (sendSMS.ashx / getDeliveryStatus.ashx), UID/PWD in the form body. */
export class Every8dProvider implements SmsProvider {
  readonly name = 'every8d' as const;

  constructor(
    private readonly config: ProviderConfig,
    private readonly http: ProviderHttpOptions,
  ) {}

  /**
   * The subject (`SB`, never shown to the customer) carries our message id, and the account callback echoes it as
   * `SUBJECT`: the receipt then names its message, like Twilio's and Mitake's, so no provider-id ref is stored and
   * no receipt has to be held because it came before the send was recorded. Every8d does not document how long a
   * subject may be; should the account refuse ours (`-15`, nothing was sent), the message goes without one and its
   * receipts are matched by BatchID.
   */
  async send(sms: OutboundSms): Promise<SendAccepted> {
    const reply = (await this.sendWithSubject(sms, sms.messageId)).trim();
    if (!reply.startsWith(`${SUBJECT_TOO_LONG},`)) return parseSendReply(reply);
    return { ...parseSendReply((await this.sendWithSubject(sms, '')).trim()), matchReceiptsByProviderId: true };
  }

  private sendWithSubject(sms: OutboundSms, subject: string): Promise<string> {
    return this.post('/API21/HTTP/sendSMS.ashx', { SB: subject, MSG: sms.body, DEST: sms.phone.national, ST: '', RETRYTIME: '1440' });
  }

  async queryBalance(): Promise<number> {
    return parseCreditReply((await this.post('/API21/HTTP/getCredit.ashx', {})).trim());
  }

  async fetchReceipt(batchId: string, phone: TaiwanPhone): Promise<Omit<DeliveryReport, 'receivedAt'> | undefined> {
    const reply = await this.post('/API21/HTTP/getDeliveryStatus.ashx', { BID: batchId, PNO: '1', RESPFORMAT: '0' });
    const status = findRecipientStatus(reply, phone);
    return status === undefined ? undefined : every8dReport(batchId, status);
  }

  private post(path: string, fields: Record<string, string>): Promise<string> {
    const { username, password } = this.config.credentials;
    return postForm('every8d', joinUrl(this.config.settings.api_url, path), { UID: username, PWD: password, ...fields }, this.http.timeoutMs);
  }
}

/** `CREDIT,SENDED,COST,UNSEND,BATCH_ID` on success; `-code,text` on failure. */
export function parseSendReply(reply: string): SendAccepted {
  const fields = reply.split(',');
  if (reply.startsWith('-')) {
    const [code, ...text] = fields;
    const message = `every8d ${code}: ${text.join(',') || 'error'}`;
    if (PROVIDER_CODES.has(code)) throw ProviderError.providerDown('every8d', code, message);
    if (MESSAGE_CODES.has(code)) throw ProviderError.messageRejected('every8d', code, message);
    throw ProviderError.transient('every8d', code, message);
  }
  if (fields.length !== 5 || !fields[4]) {
    // We cannot tell whether it sent: resending could text twice, so fail over and record the ambiguity.
    throw new ProviderError({
      provider: 'every8d',
      code: 'malformed_reply',
      message: 'every8d reply was not understood',
      retryable: false,
      scope: 'provider',
      ambiguous: true,
    });
  }
  const [creditField, sended, cost, unsend, batchId] = fields;
  const credit = points(creditField);
  // No credit is not an error code: the recipient simply lands in UNSEND, and CREDIT says what is left.
  if (Number(unsend) > 0 || Number(sended) === 0)
    throw ProviderError.noCredit('every8d', 'no_credit', 'every8d did not send: insufficient credit', Math.max(credit ?? 0, 0));
  return { providerMessageId: batchId, reportedCost: Number(cost), ...(credit === undefined ? {} : { balance: credit }) };
}

/** getCredit.ashx answers the remaining points alone (`79.0`), or `-code,text` like a send. */
export function parseCreditReply(reply: string): number {
  const credit = reply.startsWith('-') ? undefined : points(reply);
  if (credit !== undefined) return credit;
  const [code, ...text] = reply.split(',');
  const known = reply.startsWith('-') && /^-\d+$/.test(code);
  const message = known ? `every8d ${code}: ${text.join(',') || 'error'}` : 'every8d credit reply was not understood';
  if (known && PROVIDER_CODES.has(code)) throw ProviderError.providerDown('every8d', code, message);
  throw ProviderError.transient('every8d', known ? code : 'malformed_reply', message);
}

/** A points figure as Every8d writes it (`999630.00`); undefined for anything else. */
function points(field: string | undefined): number | undefined {
  if (!field || !/^-?\d+(\.\d+)?$/.test(field.trim())) return undefined;
  return Number(field);
}

/** TAB reply: a count line, then `NAME\tMOBILE\tSEND_TIME\tCOST\tSTATUS` per recipient. */
function findRecipientStatus(reply: string, phone: TaiwanPhone): string | undefined {
  const rows = reply
    .split(/\r?\n/)
    .slice(1)
    .map((line) => line.split('\t'));
  const row = rows.find((cols) => cols.length >= 5 && (cols[1] === phone.e164 || cols[1] === phone.national));
  return row?.[4]?.trim();
}

/** Maps an Every8d STATUS to a receipt; undefined while the carrier has not decided. */
export function every8dReport(batchId: string, status: string): Omit<DeliveryReport, 'receivedAt'> | undefined {
  if (status === DELIVERED) return { provider: 'every8d', providerMessageId: batchId, outcome: 'delivered', providerStatus: status };
  if (UNDELIVERED.has(status)) return { provider: 'every8d', providerMessageId: batchId, outcome: 'undelivered', providerStatus: status, errorCode: status };
  return undefined;
}
