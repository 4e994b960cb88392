// Order notifications through the public API: the order workflow, the normal SMS path and the simulators.
import { SmsGatewayClient } from '../../src/client';
import { orderWorkflowId } from '../../src/domain/orderEvents';
import { PROVIDER_NAMES } from '../../src/domain/sms';
import { adminToken, api, apiUrl, randomMobile, setBehaviour, textsTo, until, waitForFinal, withDb, withTemporal } from '../helpers';

const client = (token = adminToken()) => new SmsGatewayClient({ baseUrl: apiUrl(), token });
const postEvent = (body: unknown, token?: string) => api('/api/v1/notifications/order-events', { method: 'POST', body: JSON.stringify(body), token });
/** Minutes after a fixed start (Asia/Taipei), as ISO with the zone. */
const at = (minute: number) => `2026-11-25T14:${String(minute).padStart(2, '0')}:00+08:00`;

const TEXTS = {
  confirmed: (order: string) => `【幸福氣】您的訂單 ${order} 已確認，預計配送時間：今天下午2點`,
  onTheWay: '【幸福氣】您的瓦斯正在配送中，司機 王大明 預計 25 分鐘後到達',
  arrived: '【幸福氣】配送員已到達您的地址，請準備接收瓦斯',
  completed: (order: string) => `【幸福氣】您的訂單 ${order} 已送達完成，感謝您的訂購！`,
};

/** Waits until the order has no text still to hand over or ask back, then until each handed-over message is final. */
async function textsSettled(orderId: string) {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const timeline = await client().orderTimeline(orderId);
    if (timeline.texts.every((t) => !['queued', 'sending'].includes(t.state) && t.recall !== 'pending')) {
      for (const t of timeline.texts) if (t.message_id) await waitForFinal(t.message_id);
      return client().orderTimeline(orderId);
    }
    if (Date.now() > deadline) throw new Error(`order ${orderId} still has texts in flight: ${JSON.stringify(timeline.texts)}`);
    await new Promise((r) => setTimeout(r, 150));
  }
}

describe('order events', () => {
  it('texts exactly what the customer should get when the events arrive shuffled and repeated', async () => {
    const phone = randomMobile();
    const order = `ORD-${phone}`;
    const data = { order_number: order, delivery_time: '今天下午2點', driver_name: '王大明', eta: 25, amount: 800 };
    const events = {
      confirmed: at(0),
      driver_departed: at(10),
      arrived: at(30),
      completed: at(35),
      payment_due: at(36),
      paid: at(40),
    } as const;
    // The order system's queue delivered them out of order, with one retried and one sent twice.
    const arrival: [keyof typeof events, string, string | null][] = [
      ['driver_departed', 'applied', null],
      ['confirmed', 'ignored', 'superseded'], // the customer already knows the driver is on the way
      ['driver_departed', 'applied', null], // the same request retried: the same answer
      ['completed', 'applied', null],
      ['arrived', 'ignored', 'superseded'], // after completion, "arrived" would be wrong
      ['paid', 'applied', null],
      ['payment_due', 'ignored', 'already_paid'],
    ];
    for (const [event, decision, reason] of arrival) {
      const result = await client().orderEvent({ order_id: order, phone, event, occurred_at: events[event], data });
      expect([event, result.decision, result.reason]).toEqual([event, decision, reason]);
    }
    const twice = await client().orderEvent({ order_id: order, phone, event: 'completed', occurred_at: at(37), data });
    expect(twice).toMatchObject({ decision: 'ignored', reason: 'duplicate' });

    const timeline = await textsSettled(order);
    expect(await textsTo(phone)).toEqual([TEXTS.onTheWay, TEXTS.completed(order)]);
    expect(timeline).toMatchObject({ order_id: order, state: 'settled', step: 'completed', paid: true, events_dropped: 0 });
    expect(timeline.events.map((e) => [e.event, e.decision, e.reason])).toEqual([
      ['driver_departed', 'applied', null],
      ['confirmed', 'ignored', 'superseded'],
      ['completed', 'applied', null],
      ['arrived', 'ignored', 'superseded'],
      ['paid', 'applied', null],
      ['payment_due', 'ignored', 'already_paid'],
      ['completed', 'ignored', 'duplicate'],
    ]);
    expect(timeline.texts.map((t) => [t.template_code, t.state, t.message_status])).toEqual([
      ['delivery_on_way', 'accepted', 'delivered'],
      ['delivery_completed', 'accepted', 'delivered'],
    ]);
    // The texts are ordinary messages: sms-status shows them, tagged with the order.
    const status = await api(`/api/v1/notifications/sms-status/${timeline.texts[0].message_id}`);
    expect(status.body).toMatchObject({ status: 'delivered', message_type: 'delivery_notification' });
    const stored = await withDb((db) => db.collection('sms_messages').findOne({ _id: timeline.texts[0].message_id as never }));
    expect(stored?.metadata).toEqual({ order_id: order, order_event: 'driver_departed' });
    const logs = await api(`/api/v1/notifications/sms-logs?order_id=${encodeURIComponent(order)}`);
    expect(logs.body.items.map((m: { message_id: string }) => m.message_id).sort()).toEqual(timeline.texts.map((t) => t.message_id).sort());
  });

  it('texts once when the same event arrives many times at once', async () => {
    const phone = randomMobile();
    const order = `ORD-${phone}-D`;
    const data = { order_number: order, delivery_time: '今天下午2點' };
    // Three copies of one request and three resends of the event, all racing (the first also starts the workflow).
    const times = [at(0), at(0), at(0), at(1), at(2), at(3)];
    const results = await Promise.all(times.map((t) => client().orderEvent({ order_id: order, phone, event: 'confirmed', occurred_at: t, data })));
    const applied = results.filter((r) => r.decision === 'applied');
    expect(new Set(applied.map((r) => r.event_id)).size).toBe(1);
    expect(results.filter((r) => r.decision === 'ignored').map((r) => r.reason)).toEqual(Array(times.length - applied.length).fill('duplicate'));
    await textsSettled(order);
    expect(await textsTo(phone)).toEqual([TEXTS.confirmed(order)]);
  });

  it('holds a payment reminder until due_at, and a cancellation takes it back', async () => {
    const phone = randomMobile();
    const order = `ORD-${phone}-C`;
    const data = { order_number: order, delivery_time: '今天下午2點', amount: 800 };
    await client().orderEvent({ order_id: order, phone, event: 'confirmed', occurred_at: at(0), data });
    // The confirmation went before the cancellation (else the cancellation asks it back: the next test).
    await textsSettled(order);
    const dueAt = new Date(Date.now() + 3_600_000).toISOString();
    const due = await client().orderEvent({ order_id: order, phone, event: 'payment_due', occurred_at: at(1), data: { ...data, due_at: dueAt } });
    expect(due).toMatchObject({ decision: 'applied', text: 'payment_reminder', send_at: dueAt });
    expect(await client().orderEvent({ order_id: order, phone, event: 'cancelled', occurred_at: at(2) })).toMatchObject({ decision: 'applied' });
    expect(
      await client().orderEvent({ order_id: order, phone, event: 'driver_departed', occurred_at: at(3), data: { driver_name: '王', eta: 5 } }),
    ).toMatchObject({
      decision: 'ignored',
      reason: 'order_cancelled',
    });
    const timeline = await textsSettled(order);
    expect(timeline.state).toBe('cancelled');
    expect(timeline.texts.map((t) => [t.template_code, t.state, t.reason])).toEqual([
      ['order_confirmation', 'accepted', null],
      ['payment_reminder', 'cancelled', 'order_cancelled'],
    ]);
    expect(await textsTo(phone)).toEqual([TEXTS.confirmed(order)]);
  });

  it('a cancellation asks back a text in a provider call that then fails: cancelled, and no other provider is tried', async () => {
    const phone = randomMobile();
    const order = `ORD-${phone}-R`;
    // Every provider hangs for this number (1.5 s each on the test stack): the text sits in provider calls.
    for (const provider of PROVIDER_NAMES) await setBehaviour(provider, phone, { failure: 'hang' });
    await client().orderEvent({ order_id: order, phone, event: 'confirmed', occurred_at: at(0), data: { order_number: order, delivery_time: '今天下午2點' } });
    const handed = await until(
      () => client().orderTimeline(order),
      (t) => t.texts[0]?.message_status === 'sending',
      'the confirmation in a provider call',
      { everyMs: 100 },
    );
    expect(await client().orderEvent({ order_id: order, phone, event: 'cancelled', occurred_at: at(1) })).toMatchObject({ decision: 'applied' });
    const timeline = await textsSettled(order);
    expect(timeline.texts.map((t) => [t.template_code, t.state, t.reason, t.message_status, t.recall])).toEqual([
      ['order_confirmation', 'cancelled', 'order_cancelled', 'cancelled', null],
    ]);
    expect(timeline.texts[0].message_id).toBe(handed.texts[0].message_id);
    // The call under way when it was asked back reached a provider that never answered: on record, flagged, as the
    // cancel route leaves it. No other provider was tried after it.
    const status = await api(`/api/v1/notifications/sms-status/${handed.texts[0].message_id}`);
    const events = status.body.events.map((e: { type: string }) => e.type);
    expect(events.filter((e: string) => e === 'possible_duplicate')).toHaveLength(1);
    expect(events).toContain('cancelled');
    expect(await textsTo(phone)).toHaveLength(1);
  });

  it('refuses bad input with 422 naming the field, before anything reaches the order', async () => {
    const phone = randomMobile();
    const valid = { order_id: `ORD-${phone}-V`, phone, event: 'confirmed', occurred_at: at(0), data: { order_number: 'X', delivery_time: '今天' } };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, event: 'shipped' }, 'event'],
      [{ ...valid, occurred_at: 'yesterday' }, 'occurred_at'],
      [{ ...valid, occurred_at: '2026-11-25T14:00:00' }, 'occurred_at'], // no zone: ambiguous
      [{ ...valid, occurred_at: new Date(Date.now() + 3_600_000).toISOString() }, 'occurred_at'],
      [{ ...valid, phone: '12345' }, 'phone'],
      [{ ...valid, order_id: 'ORD 1/2' }, 'order_id'],
      [{ ...valid, data: { order_number: 'X' } }, 'data.delivery_time'],
      [{ ...valid, event: 'payment_due', data: { order_number: 'X', amount: 1, due_at: 'tomorrow' } }, 'data.due_at'],
      [{ ...valid, extra: 1 }, 'body'],
    ];
    for (const [body, field] of cases) {
      const response = await postEvent(body);
      expect([field, response.status, response.body.error.details?.map((d: { field: string }) => d.field)]).toEqual([field, 422, [field]]);
    }
    expect((await api(`/api/v1/notifications/orders/ORD-${phone}-V`)).status).toBe(404);
    expect(await textsTo(phone)).toEqual([]);
  });

  it('lets a sender post and read, a viewer only read', async () => {
    const key = async (role: string) =>
      (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name: `orders ${role}`, role }) })).body.key as string;
    const [sender, viewer] = [await key('sender'), await key('viewer')];
    const phone = randomMobile();
    const body = { order_id: `ORD-${phone}-R`, phone, event: 'arrived', occurred_at: at(0) };
    expect((await postEvent(body, viewer)).status).toBe(403);
    expect((await postEvent(body, sender)).status).toBe(200);
    expect((await api(`/api/v1/notifications/orders/ORD-${phone}-R`, { token: viewer })).body).toMatchObject({ step: 'arrived' });
    await textsSettled(`ORD-${phone}-R`);
    expect(await textsTo(phone)).toEqual([TEXTS.arrived]);
  });

  it("keeps one client key's order from another: its events are refused with 409, its timeline is 404 to it", async () => {
    const key = async (name: string, role = 'sender') =>
      (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name, role }) })).body.key as string;
    const [owner, other, viewer] = [await key('order system'), await key('another system'), await key('ops', 'viewer')];
    const [phone, intruderPhone] = [randomMobile(), randomMobile()];
    const order = `ORD-${phone}-O`;
    const event = (event: string, minute: number, to = phone) => ({
      order_id: order,
      phone: to,
      event,
      occurred_at: at(minute),
      data: { order_number: order },
    });
    expect((await postEvent(event('arrived', 0), owner)).status).toBe(200);
    // Another key: neither a new event nor the very same event (same id, its own number) gets in.
    for (const body of [event('completed', 5, intruderPhone), event('arrived', 0, intruderPhone)]) {
      const refused = await postEvent(body, other);
      expect([refused.status, refused.body.error?.code]).toEqual([409, 'order_id_taken']);
    }
    const timelineAs = (token: string) => api(`/api/v1/notifications/orders/${order}`, { token });
    expect((await timelineAs(other)).status).toBe(404);
    for (const token of [owner, viewer, adminToken()]) expect((await timelineAs(token)).body).toMatchObject({ step: 'arrived' });
    // The owner's retry of its event is answered as before, and the text goes to the owner's customer only.
    expect((await postEvent(event('arrived', 0), owner)).body).toMatchObject({ decision: 'applied' });
    const timeline = await textsSettled(order);
    expect(timeline.events.map((e) => e.event)).toEqual(['arrived']);
    expect(await textsTo(phone)).toEqual([TEXTS.arrived]);
    expect(await textsTo(intruderPhone)).toEqual([]);
    // The text is the owner's message: its sms-status and sms-logs show it, to no other sender key.
    const text = `/api/v1/notifications/sms-status/${timeline.texts[0].message_id}`;
    expect([(await api(text, { token: owner })).status, (await api(text, { token: other })).status]).toEqual([200, 404]);
    const logged = await api(`/api/v1/notifications/sms-logs?order_id=${order}`, { token: owner });
    expect(logged.body.items.map((m: { message_id: string }) => m.message_id)).toEqual([timeline.texts[0].message_id]);
  });

  it("leaves an admin's stored event to the order when another key re-posts it, and tells that key only that a closed order's id is taken", async () => {
    const key = async (name: string) => (await api('/api/v1/api-keys', { method: 'POST', body: JSON.stringify({ name, role: 'sender' }) })).body.key as string;
    const [owner, other] = [await key('order system'), await key('another system')];
    const phone = randomMobile();
    const order = `ORD-${phone}-A`;
    const data = { order_number: order, delivery_time: '今天下午2點' };
    const event = (event: string, minute: number, to = phone) => ({ order_id: order, phone: to, event, occurred_at: at(minute), data });
    // An operator posts the confirmation by hand; the order system then owns the order.
    const byAdmin = await postEvent(event('confirmed', 0));
    expect((await postEvent(event('arrived', 5), owner)).body).toMatchObject({ decision: 'applied' });
    // The other key posts the very same confirmation (same event id): refused, and the admin's copy stays.
    const refused = await postEvent(event('confirmed', 0, randomMobile()), other);
    expect([refused.status, refused.body.error?.code]).toEqual([409, 'order_id_taken']);
    const copy = await withDb((db) => db.collection('sms_order_events').findOne({ _id: byAdmin.body.event_id } as any));
    expect(copy).toMatchObject({ phone_e164: expect.stringContaining(phone.slice(1)), received_from: expect.any(String) });
    await textsSettled(order);

    await withTemporal((c) => c.workflow.getHandle(orderWorkflowId(order)).terminate('test: the order has ended'));
    const late = event('completed', 10);
    const asOther = await postEvent(late, other);
    expect([asOther.status, asOther.body.error?.code]).toEqual([409, 'order_id_taken']);
    const asOwner = await postEvent(late, owner);
    expect([asOwner.status, asOwner.body.error?.code]).toEqual([409, 'order_closed']);
  });
});
