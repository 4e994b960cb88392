import type { Client } from '@temporalio/client';
import type { EarlyReceiptRepository } from '../../src/db/earlyReceipts';
import type { MessageRepository } from '../../src/db/messages';
import type { TemporalOutbox } from '../../src/db/temporalOutbox';
import type { WebhookEventRepository } from '../../src/db/webhookEvents';
import type { DeliveryReport } from '../../src/domain/sms';
import { ReceiptIntake } from '../../src/services/receiptIntake';
import { BoundedTemporal } from '../../src/temporal/boundedCalls';

/** An Every8d receipt naming only its BatchID, reaching a webhook whose lookups answer `refs` in turn. */
async function receiptArriving(refs: (string | undefined)[]) {
  const held: DeliveryReport[] = [];
  const forgotten: DeliveryReport[] = [];
  const signalled: string[] = [];
  const messages = { findIdByProviderMessageId: async () => refs.shift() } as unknown as MessageRepository;
  const events = { record: async () => undefined } as unknown as WebhookEventRepository;
  const early = {
    hold: async (r: DeliveryReport) => void held.push(r),
    forget: async (r: DeliveryReport) => void forgotten.push(r),
  } as unknown as EarlyReceiptRepository;
  const client = {
    connection: { withDeadline: (_: number, call: () => Promise<unknown>) => call() },
    workflow: { getHandle: (id: string) => ({ signal: async () => void signalled.push(id) }) },
  } as unknown as Client;
  const intake = new ReceiptIntake(messages, events, new BoundedTemporal(client), early, {} as TemporalOutbox);
  const report = { provider: 'every8d' as const, providerMessageId: 'B-1', outcome: 'delivered' as const, providerStatus: '100' };
  const disposition = await intake.accept({ provider: 'every8d', method: 'POST', fields: {}, providerMessageId: 'B-1', report });
  return { disposition, held, forgotten, signalled };
}

describe('a receipt that may have come before its send was recorded', () => {
  it('is held, and removed again when the send turned out recorded and the workflow took it by signal', async () => {
    const { disposition, held, forgotten, signalled } = await receiptArriving([undefined, 'msg-1']);
    expect({ disposition, signalled }).toEqual({ disposition: 'signalled', signalled: ['sms-msg-1'] });
    expect(held).toHaveLength(1);
    expect(forgotten).toEqual(held);
  });

  it('stays held for the send to take when the send is still unrecorded', async () => {
    const { disposition, held, forgotten } = await receiptArriving([undefined, undefined]);
    expect(disposition).toBe('unknown_message');
    expect(held).toHaveLength(1);
    expect(forgotten).toEqual([]);
  });
});
