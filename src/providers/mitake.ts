import type { ProviderConfig } from '../db/providers';
import type { DeliveryReport } from '../domain/sms';
import { ProviderError } from './errors';
import { joinUrl, postForm } from './http';
import type { OutboundSms, ProviderHttpOptions, SendAccepted, SmsProvider } from './types';

const ACCEPTED = new Set(['0', '1', '2', '3', '4']);
const TRANSIENT = new Set(['*', 'a', 'b', 'r', 'l']);
const PROVIDER_CODES = new Set(['c', 'd', 'e', 'f', 'h', 'k', 'm', 'n', 'p', 's']);

/** Mitake HTTP API v2 (`/api/mtk/SmSend`). `clientid` = our message id, so a resend is deduplicated by Mitake. */
export class MitakeProvider implements SmsProvider {
  readonly name = 'mitake' as const;

  constructor(
    private readonly config: ProviderConfig,
    private readonly http: ProviderHttpOptions,
  ) {}

  async send(sms: OutboundSms): Promise<SendAccepted> {
    const { username, password } = this.config.credentials;
    const reply = await postForm(
      'mitake',
      joinUrl(this.config.settings.api_url, '/api/mtk/SmSend?CharsetURL=UTF8'),
      {
        username,
        password,
        dstaddr: sms.phone.national,
        // Mitake reserves LF; a line break in the text must travel as ASCII 0x06.
        smbody: sms.body.replace(/\r?\n/g, '\x06'),
        clientid: sms.messageId,
        response: sms.receiptUrl,
      },
      this.http.timeoutMs,
    );
    return parseSendReply(reply);
  }
}

/** INI-like reply: `[1]` then `key=value` lines (msgid, statuscode, AccountPoint, Duplicate). */
export function parseSendReply(reply: string): SendAccepted {
  const fields = new Map<string, string>();
  for (const line of reply.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  const code = fields.get('statuscode') ?? '';
  const msgid = fields.get('msgid')?.replace(/^#/, '');
  if (ACCEPTED.has(code) && msgid) return { providerMessageId: msgid, duplicate: fields.get('Duplicate') === 'Y' };
  const message = `mitake statuscode ${code || '(none)'}${fields.has('Error') ? `: ${fields.get('Error')}` : ''}`;
  if (!code) throw new ProviderError({ provider: 'mitake', code: 'malformed_reply', message, retryable: true, scope: 'provider' });
  if (TRANSIENT.has(code)) throw ProviderError.transient('mitake', code, message);
  if (PROVIDER_CODES.has(code)) throw ProviderError.providerDown('mitake', code, message);
  throw ProviderError.messageRejected('mitake', code, message);
}

/** Callback `StatusFlag` (not `statuscode`, which repeats the send result): 4 delivered, 5–9 not. */
export function mitakeReport(msgid: string, statusFlag: string): Omit<DeliveryReport, 'receivedAt'> | undefined {
  if (statusFlag === '4') return { provider: 'mitake', providerMessageId: msgid, outcome: 'delivered', providerStatus: statusFlag };
  if (['5', '6', '7', '8', '9'].includes(statusFlag)) {
    return { provider: 'mitake', providerMessageId: msgid, outcome: 'undelivered', providerStatus: statusFlag, errorCode: statusFlag };
  }
  return undefined;
}
