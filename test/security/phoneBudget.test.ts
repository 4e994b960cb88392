import { randomBytes } from 'node:crypto';
import { BOOTSTRAP_KEY_ID } from '../../src/db/apiKeys';
import { TemporalOutbox } from '../../src/db/temporalOutbox';
import { messageIdForKey } from '../../src/services/smsIntake';
import { api, randomMobile, sendSms, withDb } from '../helpers';
import { sendBulk, taipeiTime } from '../bulk/helpers';

/** The stack runs with the default budget for `general` messages: 5 per hour (20 per day). */
const PER_HOUR = 5;
const OVER = /^Too many messages to this number: at most 5 per hour; retry after \d+ s$/;

describe('per-number anti-pumping budget on every path', () => {
  it('refuses one-recipient batches to the same number past the budget, with the reason, like single sends', async () => {
    const phone = randomMobile();
    for (let i = 0; i < PER_HOUR; i++) {
      const { status, body } = await sendBulk({ batch_name: `pump ${i}`, message: 'x', recipients: [{ phone }] });
      expect({ i, status, accepted: body.accepted }).toEqual({ i, status: 202, accepted: 1 });
    }
    const over = await sendBulk({ batch_name: 'pump over', message: 'x', recipients: [{ phone }] });
    expect(over.status).toBe(422);
    expect(over.body.error.details).toEqual([{ field: 'recipients.0', message: expect.stringMatching(OVER) }]);
    const single = await sendSms({ phone, message: 'x' });
    expect(single.status).toBe(429);
    expect(single.headers.get('retry-after')).toMatch(/^\d+$/);
  });

  it('counts a message held for later in the hour it is to be sent, so held messages cannot bunch up past the budget', async () => {
    const phone = randomMobile();
    for (let i = 0; i < PER_HOUR; i++) expect((await sendSms({ phone, message: `now ${i}` })).status).toBe(202);
    expect((await sendSms({ phone, message: 'now, over' })).status).toBe(429);
    // Two clock hours on: a budget of its own, used up by what is scheduled for it and by nothing sent now.
    const later = new Date(Math.floor(Date.now() / 3_600_000) * 3_600_000 + 2 * 3_600_000 + 60_000).toISOString();
    for (let i = 0; i < PER_HOUR - 1; i++) expect((await sendSms({ phone, message: `later ${i}`, scheduled_at: later })).status).toBe(202);
    expect((await sendBulk({ batch_name: 'later', message: 'later, batch', recipients: [{ phone }], scheduled_at: later })).status).toBe(202);
    const over = await sendSms({ phone, message: 'later, over', scheduled_at: later });
    expect(over.status).toBe(429);
    expect(over.body.error.message).toMatch(/^Too many messages to this number when it is to be sent \(.+\): at most 5 per hour; retry after \d+ s$/);
  });

  it('leaves nothing behind for a refused send: no message, and its start entry is taken back', async () => {
    const phone = randomMobile();
    for (let i = 0; i < PER_HOUR; i++) expect((await sendSms({ phone, message: `before ${i}` })).status).toBe(202);
    const key = randomBytes(8).toString('hex');
    expect((await sendSms({ phone, message: 'refused' }, { 'Idempotency-Key': key })).status).toBe(429);
    // Intake writes the outbox entry while it checks the budget; a refusal removes it (the relay would keep it 60 s).
    const id = messageIdForKey(BOOTSTRAP_KEY_ID, key);
    const stored = async () =>
      withDb(async (db) => ({
        message: await db.collection('sms_messages').findOne({ _id: id as never }),
        entry: await db.collection('sms_temporal_outbox').findOne({ _id: TemporalOutbox.startMessageId(id) as never }),
      }));
    let left = await stored();
    for (let i = 0; i < 20 && left.entry; i++) {
      await new Promise((r) => setTimeout(r, 100));
      left = await stored();
    }
    expect(left).toEqual({ message: null, entry: null });
  });

  it('counts nothing for a message refused for its valid_until (quiet hours would hold it past it)', async () => {
    const quietHours = '/api/v1/notifications/settings/quiet-hours';
    const saved = (await api(quietHours)).body.windows;
    const put = (windows: unknown[]) => api(quietHours, { method: 'PUT', body: JSON.stringify({ windows }) });
    expect((await put([{ start: taipeiTime(-60_000), end: taipeiTime(3_600_000) }])).status).toBe(200);
    try {
      const phone = randomMobile();
      const offer = { phone, message: '【幸福氣】今晚優惠', message_type: 'marketing' };
      for (let i = 0; i <= PER_HOUR; i++) {
        const refused = await sendSms({ ...offer, valid_until: new Date(Date.now() + 60_000).toISOString() });
        expect({ status: refused.status, field: refused.body.error?.details?.[0]?.field }).toEqual({ status: 422, field: 'valid_until' });
      }
      // None of those counted: the number still has its whole hour.
      expect((await sendSms(offer)).status).toBe(202);
    } finally {
      await put(saved);
    }
  });

  it('rejects only the row over budget and sends the rest of the batch', async () => {
    const busy = randomMobile();
    for (let i = 0; i < PER_HOUR; i++) expect((await sendSms({ phone: busy, message: `single ${i}` })).status).toBe(202);
    const fresh = randomMobile();
    const { status, body } = await sendBulk({ batch_name: 'mixed', message: 'x', recipients: [{ phone: busy }, { phone: fresh }] });
    expect(status).toBe(202);
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([{ index: 0, phone: `${busy.slice(0, 4)}***${busy.slice(-3)}`, reason: expect.stringMatching(OVER) }]);
    // The refused row used up nothing: the fresh number still has PER_HOUR - 1 sends left, the busy one none.
    for (let i = 1; i < PER_HOUR; i++) expect((await sendSms({ phone: fresh, message: `after ${i}` })).status).toBe(202);
    expect((await sendSms({ phone: fresh, message: 'one too many' })).status).toBe(429);
  });

  it('keeps transactional notices on their own, higher budget', async () => {
    const phone = randomMobile();
    for (let i = 0; i < PER_HOUR; i++) expect((await sendSms({ phone, message: `promo ${i}` })).status).toBe(202);
    const notice = await sendBulk({ batch_name: 'notices', message: 'x', message_type: 'delivery_notification', recipients: [{ phone }] });
    expect(notice.body.accepted).toBe(1);
  });

  it('counts every campaign run against the budget and records the refused rows on its batch', async () => {
    const busy = randomMobile();
    const fresh = randomMobile();
    for (let i = 0; i < PER_HOUR; i++) expect((await sendSms({ phone: busy, message: `single ${i}` })).status).toBe(202);
    const created = await api('/api/v1/notifications/campaigns', {
      method: 'POST',
      body: JSON.stringify({
        name: 'budget campaign',
        cron: '0 10 1 1 *',
        message: 'x',
        message_type: 'general',
        recipients: [{ phone: fresh }, { phone: busy }],
      }),
    });
    expect(created.status).toBe(201);
    const id = created.body.campaign_id;
    expect((await api(`/api/v1/notifications/campaigns/${id}/trigger`, { method: 'POST' })).status).toBe(200);
    let run: any;
    for (let i = 0; i < 80 && !run; i++) {
      run = (await api('/api/v1/notifications/batches?limit=200')).body.batches.find((b: any) => b.campaign_id === id);
      if (!run) await new Promise((r) => setTimeout(r, 250));
    }
    expect(run).toMatchObject({ total: 1, rejected: 1 });
    const batch = (await api(`/api/v1/notifications/batches/${run.batch_id}`)).body;
    expect(batch.rejections).toEqual([{ index: 1, phone: `${busy.slice(0, 4)}***${busy.slice(-3)}`, reason: expect.stringMatching(OVER) }]);
    await api(`/api/v1/notifications/campaigns/${id}`, { method: 'DELETE' });
  });

  it('holds under concurrent single sends and batches to one number', async () => {
    const phone = randomMobile();
    const attempts = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 ? sendSms({ phone, message: `race ${i}` }) : sendBulk({ batch_name: `race ${i}`, message: 'x', recipients: [{ phone }] }),
      ),
    );
    expect(attempts.filter((r) => r.status === 202)).toHaveLength(PER_HOUR);
  });
});
