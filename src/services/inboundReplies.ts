import { parseTaiwanPhone } from '../domain/phone';
import { isOptOutReply } from '../domain/optOut';
import type { ProviderName } from '../domain/sms';
import type { OptOutLedger } from './optOuts';

export interface InboundReply {
  provider: ProviderName;
  /** The customer's number as the provider wrote it. */
  from: string;
  text: string;
}

/**
 * Customer replies (MO) from any provider's inbound webhook. A reply asking to stop (退訂, TD, STOP, 取消)
 * suppresses marketing to that number through every provider; other replies are only acknowledged.
 */
export class InboundReplies {
  constructor(
    private readonly ledger: OptOutLedger,
    private readonly log: (message: string, fields: Record<string, unknown>) => void,
  ) {}

  async accept(reply: InboundReply): Promise<{ optedOut: boolean }> {
    const parsed = parseTaiwanPhone(reply.from);
    if (!parsed.ok) {
      // Acknowledged all the same: the provider would only resend a reply we can never attribute.
      this.log('inbound reply from a number we cannot read; ignored', { provider: reply.provider });
      return { optedOut: false };
    }
    if (!isOptOutReply(reply.text)) return { optedOut: false };
    const { added } = await this.ledger.add(parsed.phone, {
      source: 'inbound_reply',
      actor: `provider:${reply.provider}`,
      provider: reply.provider,
      reason: `reply "${reply.text.trim().slice(0, 40)}"`,
    });
    if (added) this.log('number opted out by reply', { provider: reply.provider, phone: parsed.phone.masked });
    return { optedOut: true };
  }
}
