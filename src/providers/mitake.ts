import type { ProviderConfig } from '../db/providers';
import type { DeliveryReport } from '../domain/sms';
import { ProviderError, fromTransportError } from './errors';
import { joinUrl, postForm } from './http';
import type { OutboundSms, ProviderHttpOptions, SendAccepted, SmsProvider } from './types';

const ACCEPTED = new Set(['0', '1', '2', '3', '4']);
const TRANSIENT = new Set(['*', 'a', 'b', 'r', 'l']);
const PROVIDER_CODES = new Set(['c', 'd', 'e', 'f', 'h', 'k', 'm', 'n', 'p']);
/** 帳務處理失敗: the account's points cannot pay for the message. */
const NO_CREDIT = 's';

/** Mitake HTTP API v2 (`/api/mtk/SmSend`). `clientid` = our message id, so a resend is deduplicated by Mitake. */
export class MitakeProvider implements SmsProvider {
  readonly name = 'mitake' as const;

  constructor(
    private readonly config: ProviderConfig,
    private readonly http: ProviderHttpOptions,
  ) {}

  /**
   * A call that ends ambiguously (a timeout, a broken connection: Mitake may have sent it) is asked once more at
   * once with the same clientid. Mitake deduplicates by clientid, so the answer settles it: `Duplicate=Y` with the
   * first call's msgid if that one went through (texted once, nothing to flag), or a send now if it did not. Only a
   * second ambiguous or failed ask leaves the first failure standing (fail over, flagged as a possible duplicate).
   */
  async send(sms: OutboundSms): Promise<SendAccepted> {
    try {
      return await this.sendOnce(sms);
    } catch (err) {
      const first = err instanceof ProviderError ? err : fromTransportError('mitake', err);
      if (!first.ambiguous) throw first;
      // Half the usual wait: the whole call stays within 1.5 provider timeouts, inside what the activity allows.
      return await this.sendOnce(sms, this.http.timeoutMs / 2).catch(() => {
        throw first;
      });
    }
  }

  private async sendOnce(sms: OutboundSms, timeoutMs = this.http.timeoutMs): Promise<SendAccepted> {
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
      timeoutMs,
    );
    return parseSendReply(reply);
  }

  /** `SmQuery` without `msgid` answers the account's points: `AccountPoint=110`. */
  async queryBalance(): Promise<number> {
    const { username, password } = this.config.credentials;
    const reply = await postForm('mitake', joinUrl(this.config.settings.api_url, '/api/mtk/SmQuery'), { username, password }, this.http.timeoutMs);
    return parseBalanceReply(reply);
  }
}

/** `key=value` lines of Mitake's INI-like replies; unknown keys and block headers are ignored. */
function readFields(reply: string): Map<string, string> {
  const fields = new Map<string, string>();
  for (const line of reply.split(/\r?\n/)) {
    const eq = line.indexOf('=');
    if (eq > 0) fields.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return fields;
}

/** `AccountPoint` as a number, when present and numeric. */
function accountPoint(fields: Map<string, string>): number | undefined {
  const value = fields.get('AccountPoint');
  return value !== undefined && /^-?\d+(\.\d+)?$/.test(value) ? Number(value) : undefined;
}

/** `AccountPoint=110`, or an error: a lone status letter (`e`), or a `statuscode=` line. */
export function parseBalanceReply(reply: string): number {
  const fields = readFields(reply);
  const balance = accountPoint(fields);
  if (balance !== undefined) return balance;
  const code = fields.get('statuscode') ?? reply.trim();
  const message = `mitake balance query: statuscode ${code || '(none)'}`;
  if (PROVIDER_CODES.has(code)) throw ProviderError.providerDown('mitake', code, message);
  throw ProviderError.transient('mitake', /^[a-z*]$/.test(code) ? code : 'malformed_reply', message);
}

/** INI-like reply: `[1]` then `key=value` lines (msgid, statuscode, AccountPoint, Duplicate). */
export function parseSendReply(reply: string): SendAccepted {
  const fields = readFields(reply);
  const code = fields.get('statuscode') ?? '';
  const msgid = fields.get('msgid')?.replace(/^#/, '');
  const balance = accountPoint(fields);
  if (ACCEPTED.has(code) && msgid)
    return { providerMessageId: msgid, duplicate: fields.get('Duplicate') === 'Y', ...(balance === undefined ? {} : { balance }) };
  const message = `mitake statuscode ${code || '(none)'}${fields.has('Error') ? `: ${fields.get('Error')}` : ''}`;
  if (!code) throw new ProviderError({ provider: 'mitake', code: 'malformed_reply', message, retryable: true, scope: 'provider' });
  if (TRANSIENT.has(code)) throw ProviderError.transient('mitake', code, message);
  // Without an AccountPoint in the refusal, "cannot pay" reads as none left, until the balance query says otherwise.
  if (code === NO_CREDIT) throw ProviderError.noCredit('mitake', code, `${message} (insufficient points)`, Math.max(balance ?? 0, 0));
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
