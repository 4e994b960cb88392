import { randomMobile, sendSms, setBehaviour, waitForFinal, withDb } from '../helpers';

describe('receipts that arrive before the send is recorded', () => {
  it('applies an Every8d push that came before the send was recorded, without waiting for a poll', async () => {
    const phone = randomMobile();
    // The push reaches us before Every8d answers the send (so before its BatchID is stored), and polls keep
    // answering "pending" for a minute: only the held push can deliver this message before its 5 s deadline.
    await setBehaviour('every8d', phone, { push_before_reply: true, receipt_delay_ms: 60_000 });
    const { body } = await sendSms({ phone, message: '【幸福氣】您的訂單已確認' });

    const final = await waitForFinal(body.message_id);
    expect(final).toMatchObject({ status: 'delivered', provider: 'every8d' });
    const stored = await withDb((db) => db.collection('webhook_events').find({ provider_message_id: final.provider_message_id }).toArray());
    expect(stored.map((e) => e.disposition)).toEqual(['unknown_message']);
    // Handed over to the workflow, not left behind.
    const held = await withDb((db) => db.collection('sms_early_receipts').countDocuments({ _id: `every8d:${final.provider_message_id}` } as any));
    expect(held).toBe(0);
  });
});
