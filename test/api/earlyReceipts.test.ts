import { randomUUID } from 'node:crypto';
import { EarlyReceiptRepository } from '../../src/db/earlyReceipts';
import { randomMobile, sendSms, setBehaviour, simulatorSends, waitForFinal, withDb } from '../helpers';

/** What the webhook stored for the receipts of one Every8d send, and whether any is still held as early. */
async function receiptTrail(providerMessageId: string): Promise<{ dispositions: string[]; refs: number; held: number }> {
  return withDb(async (db) => ({
    dispositions: (await db.collection('webhook_events').find({ provider_message_id: providerMessageId }).toArray()).map((e) => e.disposition),
    refs: await db.collection('sms_provider_refs').countDocuments({ _id: `every8d:${providerMessageId}` } as any),
    held: await db.collection('sms_early_receipts').countDocuments({ _id: `every8d:${providerMessageId}` } as any),
  }));
}

describe('receipts that arrive before the send is recorded', () => {
  // In both cases the push reaches us before Every8d answers the send (so before its BatchID is stored), and polls
  // keep answering "pending" for a minute: only the pushed receipt can deliver the message before its 5 s deadline.

  it('hands an Every8d push naming the message in SUBJECT straight to its workflow, with nothing stored to match it', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { push_before_reply: true, receipt_delay_ms: 60_000 });
    const { body } = await sendSms({ phone, message: '【幸福氣】您的訂單已確認' });

    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'every8d' });
    // The send's subject carried our id, so the receipt did not need the BatchID looked up.
    expect((await simulatorSends('every8d', { phone })).map((s) => s.ref)).toEqual([body.message_id]);
    expect(await receiptTrail(final.provider_message_id)).toEqual({ dispositions: ['signalled'], refs: 0, held: 0 });
  });

  it('holds an Every8d push without our id until the send is recorded, when the account refused the id as subject', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { push_before_reply: true, receipt_delay_ms: 60_000, max_subject_length: 10 });
    const { body } = await sendSms({ phone, message: '【幸福氣】您的訂單已確認' });

    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'every8d' });
    // Refused with -15 (nothing sent), then sent once without a subject.
    expect((await simulatorSends('every8d', { phone })).map((s) => s.ref)).toEqual([undefined]);
    // Unknown when it came, then handed over to the workflow by the send's record, not left behind.
    expect(await receiptTrail(final.provider_message_id)).toEqual({ dispositions: ['unknown_message'], refs: 1, held: 0 });
  });
});

describe('a held receipt', () => {
  it('is found again by a retried send (its worker died before reporting), and goes once its record is made', async () => {
    await withDb(async (db) => {
      const held = new EarlyReceiptRepository(db);
      const report = {
        provider: 'every8d' as const,
        providerMessageId: randomUUID(),
        outcome: 'delivered' as const,
        providerStatus: '100',
        receivedAt: new Date().toISOString(),
      };
      await held.hold(report);
      const first = await held.heldFor('every8d', report.providerMessageId);
      expect(first).toEqual({ ...report, heldEarly: true });
      // The attempt that read it died before its result was recorded: the retry must still find it.
      expect(await held.heldFor('every8d', report.providerMessageId)).toEqual(first);
      await held.forget(first!);
      expect(await held.heldFor('every8d', report.providerMessageId)).toBeUndefined();
    });
  });
});
