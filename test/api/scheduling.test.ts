// scheduled_at, valid_until and cancel through the public API, against the embedded stack.
import { randomBytes } from 'node:crypto';
import { api, randomMobile, sendSms, setBehaviour, simulatorSends, waitForFinal, withMitakeAtOnePerSecond } from '../helpers';

const status = (id: string) => api(`/api/v1/notifications/sms-status/${id}`);
const cancel = (id: string, token?: string) => api(`/api/v1/notifications/sms/${id}/cancel`, { method: 'POST', ...(token ? { token } : {}) });
/** An ISO time `ms` from now, written in Taipei's offset as an order system there would. */
const taipeiIso = (ms: number) => new Date(Date.now() + ms + 8 * 3600_000).toISOString().replace('Z', '+08:00');

async function createKey(name: string, role: 'sender' | 'viewer'): Promise<{ id: string; key: string }> {
  const response = await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name, role }) });
  expect(response.status).toBe(201);
  return response.body;
}

async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not reached; last: ${JSON.stringify(value)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('scheduled sends', () => {
  it('holds a message as `scheduled` (listed so) until scheduled_at, then sends it', async () => {
    const phone = randomMobile();
    const scheduledAt = taipeiIso(4_000);
    const accepted = await sendSms({ phone, message: '【幸福氣】明早九點配送', scheduled_at: scheduledAt });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'scheduled', scheduled_at: new Date(scheduledAt).toISOString(), warnings: [] });
    const id = accepted.body.message_id;

    expect((await status(id)).body).toMatchObject({ status: 'scheduled', attempts: [], sent_at: null });
    const listed = await api('/api/v1/notifications/sms-logs?status=scheduled&limit=200');
    expect(listed.body.items.map((m: { message_id: string }) => m.message_id)).toContain(id);
    expect(await simulatorSends('every8d', { phone })).toEqual([]);

    const final = await waitForFinal(id);
    expect(final.status).toBe('delivered');
    expect(Date.parse(final.sent_at)).toBeGreaterThanOrEqual(Date.parse(scheduledAt));
    expect(await simulatorSends('every8d', { phone })).toHaveLength(1);
  });

  it('expires without trying a provider when valid_until has passed by the time it may be sent', async () => {
    const phone = randomMobile();
    const sendAt = Date.now() + 1_500;
    // Valid for one millisecond after the send time: gone by the time the held message wakes up.
    const accepted = await sendSms({
      phone,
      message: '【幸福氣】司機五分鐘後到達',
      scheduled_at: new Date(sendAt).toISOString(),
      valid_until: new Date(sendAt + 1).toISOString(),
    });
    expect(accepted.status).toBe(202);
    const final = await waitForFinal(accepted.body.message_id);
    expect(final).toMatchObject({ status: 'expired', error_code: 'validity_ended', provider: null, attempts: [] });
    expect(await simulatorSends('every8d', { phone })).toEqual([]);
  });

  it('sends normally within valid_until', async () => {
    const { body } = await sendSms({ phone: randomMobile(), message: '【幸福氣】訂單確認', valid_until: taipeiIso(10 * 60_000) });
    expect(body.valid_until).toEqual(expect.any(String));
    expect((await waitForFinal(body.message_id)).status).toBe('delivered');
  });

  it.each([
    ['scheduled_at in the past', { scheduled_at: taipeiIso(-60_000) }, 'scheduled_at'],
    ['scheduled_at more than 30 days ahead', { scheduled_at: taipeiIso(31 * 24 * 3600_000) }, 'scheduled_at'],
    ['scheduled_at without a zone', { scheduled_at: '2030-01-01T09:00:00' }, 'scheduled_at'],
    ['scheduled_at that is not a time', { scheduled_at: 'tomorrow' }, 'scheduled_at'],
    ['valid_until before scheduled_at', { scheduled_at: taipeiIso(3_600_000), valid_until: taipeiIso(60_000) }, 'valid_until'],
    ['valid_until in the past', { valid_until: taipeiIso(-1_000) }, 'valid_until'],
  ])('answers 422 naming the field for %s', async (_label, fields, field) => {
    const { status: code, body } = await sendSms({ phone: randomMobile(), message: 'hi', ...fields });
    expect(code).toBe(422);
    expect(body.error.details.map((d: { field: string }) => d.field)).toEqual([field]);
  });
});

describe('cancel', () => {
  it('cancels a scheduled message (200, `cancelled`), then answers 409; nothing is sent', async () => {
    const phone = randomMobile();
    const { body } = await sendSms({ phone, message: '【幸福氣】付款提醒', scheduled_at: taipeiIso(10 * 60_000) });
    const first = await cancel(body.message_id);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ message_id: body.message_id, status: 'cancelled', attempts: [] });
    expect(first.body.finished_at).toEqual(expect.any(String));
    const again = await cancel(body.message_id);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('not_cancellable');
    expect((await status(body.message_id)).body.status).toBe('cancelled');
    expect(await simulatorSends('every8d', { phone })).toEqual([]);
  });

  it('counts and lists a scheduled message as scheduled, then as cancelled (template figures move with it)', async () => {
    const code = `sched_${randomBytes(4).toString('hex')}`;
    const template = await api('/api/v1/notifications/sms-templates', {
      method: 'POST',
      body: JSON.stringify({ code, name: 'scheduled reminder', content: '【幸福氣】訂單 {n} 明天配送', is_active: true }),
    });
    expect(template.status).toBe(201);
    const { body } = await sendSms({ phone: randomMobile(), template_code: code, template_data: { n: 'A1' }, scheduled_at: taipeiIso(10 * 60_000) });
    const figures = async () => (await api(`/api/v1/notifications/sms-templates/${template.body.id}/stats`)).body.variants[0];
    // Counted once its workflow has taken it on (the worker writes the figures).
    expect(await until(figures, (v) => v?.pending === 1)).toMatchObject({ sent: 0, cancelled: 0 });
    expect((await cancel(body.message_id)).status).toBe(200);
    expect(await until(figures, (v) => v.cancelled === 1)).toMatchObject({ pending: 0, sent: 0, delivery_rate: 0 });
    const listed = (status: string) => api(`/api/v1/notifications/sms-logs?status=${status}&template_code=${code}`);
    expect((await listed('cancelled')).body.items.map((m: { message_id: string }) => m.message_id)).toEqual([body.message_id]);
    expect((await listed('scheduled')).body.items).toEqual([]);
  });

  it('answers 409 while the provider call is in flight, and the message is sent normally', async () => {
    const phone = randomMobile();
    // Slow, but within the provider timeout of the test stack (1.5 s), so the call is answered, not failed over.
    await setBehaviour('every8d', phone, { latency_ms: 1_200 });
    const { body } = await sendSms({ phone, message: '【幸福氣】司機已出發' });
    await until(
      () => status(body.message_id),
      (r) => r.body.status === 'sending',
    );
    const refused = await cancel(body.message_id);
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe('not_cancellable');
    const final = await waitForFinal(body.message_id);
    expect(final.status).toBe('delivered');
    expect(final.events.map((e: { type: string }) => e.type)).not.toContain('cancelled');
    expect((await simulatorSends('every8d', { phone })).length).toBeGreaterThanOrEqual(1);
  });

  it("cancels a message whose provider call waits behind the provider's rate limit (200): it is never texted", async () => {
    await withMitakeAtOnePerSecond(async () => {
      const phones = Array.from({ length: 8 }, () => randomMobile());
      const ids: string[] = await Promise.all(phones.map(async (phone) => (await sendSms({ phone, message: '【幸福氣】排隊中' })).body.message_id));
      // After the first few, one a second: the rest wait in mitake's task queue, still `queued` in the store.
      await until(
        async () => Promise.all(ids.map(async (id) => (await status(id)).body.status)),
        (statuses) => statuses.filter((s) => s === 'queued').length >= 2,
      );
      const answers = await Promise.all(ids.map(async (id) => ({ id, answer: await cancel(id) })));
      const cancelled = answers.filter((a) => a.answer.status === 200);
      expect(cancelled.length).toBeGreaterThanOrEqual(1);
      for (const { id, answer } of answers) {
        const final = await waitForFinal(id, 60_000);
        // Taken back: never texted. Refused: a provider had it (or was just being given it), and it went normally.
        if (answer.status === 200)
          expect({ final: final.status, texted: await simulatorSends('mitake', { phone: phones[ids.indexOf(id)] }) }).toEqual({
            final: 'cancelled',
            texted: [],
          });
        else expect({ answer: answer.status, final: final.status }).toEqual({ answer: 409, final: 'delivered' });
      }
    });
  });

  it('cancels during a provider call that fails (the provider hangs): 200 once the call ends, and no other provider is tried', async () => {
    const phone = randomMobile();
    await setBehaviour('every8d', phone, { failure: 'hang' });
    const { body } = await sendSms({ phone, message: '【幸福氣】司機已出發' });
    await until(
      () => status(body.message_id),
      (r) => r.body.status === 'sending',
    );
    // Answered once the call times out (1.5 s on the test stack): without the cancel it would fail over.
    const cancelled = await cancel(body.message_id);
    expect({ status: cancelled.status, message: cancelled.body.status }).toEqual({ status: 200, message: 'cancelled' });
    // The hung call may have reached Every8d: its attempt stays on record, flagged.
    expect((await status(body.message_id)).body.events.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['possible_duplicate', 'cancelled']),
    );
    expect([...(await simulatorSends('mitake', { phone })), ...(await simulatorSends('twilio', { phone }))]).toEqual([]);
  });

  it('answers 409 for a delivered message and 404 for an unknown one', async () => {
    const { body } = await sendSms({ phone: randomMobile(), message: '【幸福氣】已送達' });
    await waitForFinal(body.message_id);
    expect((await cancel(body.message_id)).status).toBe(409);
    const unknown = await cancel('00000000-0000-4000-8000-000000000000');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('not_found');
  });

  it('is for the key that sent the message (or an admin): another sender gets 403, a viewer 403', async () => {
    const owner = await createKey('cancel owner', 'sender');
    const other = await createKey('cancel other', 'sender');
    const viewer = await createKey('cancel viewer', 'viewer');
    const sent = await api('/api/v1/notifications/send-sms', {
      method: 'POST',
      token: owner.key,
      body: JSON.stringify({ phone: randomMobile(), message: '【幸福氣】預約配送', scheduled_at: taipeiIso(10 * 60_000) }),
    });
    expect(sent.status).toBe(202);
    expect((await cancel(sent.body.message_id, other.key)).status).toBe(403);
    expect((await cancel(sent.body.message_id, viewer.key)).status).toBe(403);
    expect((await cancel(sent.body.message_id, owner.key)).body.status).toBe('cancelled');
  });
});
