// The order workflow alone: which events text what, with the intake faked (fakes.ts `sendOrderText`).
import { freshId, startHarness, until, type Harness } from './harness';
import { recallState } from '../../src/workflows/orderNotifications';
import { at, orderHandle, postEvent, timelineOf } from './orders';

let h: Harness;
beforeAll(async () => void (h = await startHarness()));
afterEach(() => h?.cleanUp());
afterAll(() => h?.teardown());

const sentTemplates = () => h.fake.named('sendOrderText').map((c) => c.input.templateCode);
const recalled = () => h.fake.named('recallOrderTexts').map((c) => c.input.messageIds);
/** Waits until the workflow has no text left to hand over (queued or in flight) or to ask back. */
const settledTexts = (orderId: string) =>
  until(
    () => timelineOf(h, orderId),
    (t) => t.texts.every((x) => x.state !== 'queued' && x.state !== 'sending' && recallState(x) !== 'pending'),
  );
/** The update validator's refusal, as the client sees it (WorkflowUpdateFailedError with the reason as its cause). */
const notOwned = { cause: { message: expect.stringMatching(/^order_not_owned/) } };
const messageOf = (order: string, event: string, minute: number) => `msg-${order}-${event}-${at(minute)}`;

describe('orderNotificationsWorkflow', () => {
  it('texts each delivery step once, in order, and answers what it decided', async () => {
    h.fake.reset({});
    const order = freshId('ord');
    // Each step comes after the previous text was handed over, as in real life (minutes apart).
    expect(await postEvent(h, order, 'confirmed', at(0))).toEqual({ decision: 'applied', text: 'order_confirmation' });
    await h.fake.waitForCalls('sendOrderText', 1);
    expect(await postEvent(h, order, 'driver_departed', at(10))).toEqual({ decision: 'applied', text: 'delivery_on_way' });
    await h.fake.waitForCalls('sendOrderText', 2);
    expect(await postEvent(h, order, 'arrived', at(30))).toEqual({ decision: 'applied', text: 'delivery_arrived' });
    await h.fake.waitForCalls('sendOrderText', 3);
    expect(await postEvent(h, order, 'completed', at(35))).toEqual({ decision: 'applied', text: 'delivery_completed' });
    const timeline = await settledTexts(order);
    expect(sentTemplates()).toEqual(['order_confirmation', 'delivery_on_way', 'delivery_arrived', 'delivery_completed']);
    expect(timeline).toMatchObject({ state: 'settled', step: 'completed' });
    expect(timeline.texts.map((t) => [t.state, t.messageId])).toEqual(
      ['confirmed', 'driver_departed', 'arrived', 'completed'].map((e) => [
        'accepted',
        `msg-${order}-${e}-${timeline.events.find((x) => x.event === e)!.occurredAt}`,
      ]),
    );
  });

  it('never sends a step that a later step overtook, nor one older than the latest applied', async () => {
    h.fake.reset({});
    const order = freshId('ord');
    await postEvent(h, order, 'confirmed', at(0));
    await h.fake.waitForCalls('sendOrderText', 1);
    expect(await postEvent(h, order, 'arrived', at(30))).toMatchObject({ decision: 'applied' });
    // The on-the-way text would now be wrong: the driver is at the door.
    expect(await postEvent(h, order, 'driver_departed', at(10))).toEqual({ decision: 'ignored', reason: 'superseded' });
    // A later step whose own time is before the latest applied one: a confused clock or a replayed feed.
    expect(await postEvent(h, order, 'completed', at(20))).toEqual({ decision: 'ignored', reason: 'stale' });
    await settledTexts(order);
    expect(sentTemplates()).toEqual(['order_confirmation', 'delivery_arrived']);
    expect((await timelineOf(h, order)).events.map((e) => [e.event, e.decision, e.reason])).toEqual([
      ['confirmed', 'applied', undefined],
      ['arrived', 'applied', undefined],
      ['driver_departed', 'ignored', 'superseded'],
      ['completed', 'ignored', 'stale'],
    ]);
  });

  it('takes back a step text still waiting when a later step is applied', async () => {
    h.fake.reset({});
    h.fake.holdSends();
    const order = freshId('ord');
    await postEvent(h, order, 'confirmed', at(0));
    await h.fake.waitForCalls('sendOrderText', 1); // the confirmation is being handed over: it goes
    await postEvent(h, order, 'driver_departed', at(10));
    await postEvent(h, order, 'arrived', at(30));
    h.fake.releaseSends();
    const timeline = await settledTexts(order);
    expect(sentTemplates()).toEqual(['order_confirmation', 'delivery_arrived']);
    expect(timeline.texts.map((t) => [t.templateCode, t.state, t.reason])).toEqual([
      ['order_confirmation', 'accepted', undefined],
      ['delivery_on_way', 'cancelled', 'superseded'],
      ['delivery_arrived', 'accepted', undefined],
    ]);
    // The handed confirmation was superseded, not made wrong: it goes, before the newer step.
    expect(recalled()).toEqual([]);
  });

  it('ignores a repeated event, and answers a repeated request as the first time without recording it again', async () => {
    h.fake.reset({});
    const order = freshId('ord');
    const first = await postEvent(h, order, 'confirmed', at(0));
    expect(await postEvent(h, order, 'confirmed', at(0))).toEqual(first); // the same request (same event id)
    expect(await postEvent(h, order, 'confirmed', at(2))).toEqual({ decision: 'ignored', reason: 'duplicate' }); // sent twice
    await settledTexts(order);
    expect(sentTemplates()).toEqual(['order_confirmation']);
    expect((await timelineOf(h, order)).events).toHaveLength(2);
  });

  it('holds a payment reminder until due_at, and paid takes it back', async () => {
    h.fake.reset({});
    const order = freshId('ord');
    const dueAt = new Date(Date.now() + 3_600_000).toISOString();
    expect(await postEvent(h, order, 'payment_due', at(0), { dueAt })).toEqual({ decision: 'applied', text: 'payment_reminder', sendAt: dueAt });
    expect((await timelineOf(h, order)).texts).toMatchObject([{ templateCode: 'payment_reminder', state: 'scheduled', sendAt: dueAt }]);
    expect(await postEvent(h, order, 'paid', at(5))).toEqual({ decision: 'applied' });
    expect((await timelineOf(h, order)).texts).toMatchObject([{ state: 'cancelled', reason: 'paid' }]);
    expect(await postEvent(h, order, 'payment_due', at(6))).toEqual({ decision: 'ignored', reason: 'already_paid' });
    expect(sentTemplates()).toEqual([]);
  });

  it('sends a reminder when its due_at comes and the order is still unpaid', async () => {
    h.fake.reset({});
    const order = freshId('ord');
    await postEvent(h, order, 'payment_due', at(0), { dueAt: new Date(Date.now() + 1_500).toISOString() });
    await h.fake.waitForCalls('sendOrderText', 1);
    expect(sentTemplates()).toEqual(['payment_reminder']);
  });

  it('cancelled stops everything pending and every later event', async () => {
    h.fake.reset({});
    const order = freshId('ord');
    await postEvent(h, order, 'confirmed', at(0));
    await postEvent(h, order, 'payment_due', at(1), { dueAt: new Date(Date.now() + 3_600_000).toISOString() });
    expect(await postEvent(h, order, 'cancelled', at(2))).toEqual({ decision: 'applied' });
    expect(await postEvent(h, order, 'driver_departed', at(3))).toEqual({ decision: 'ignored', reason: 'order_cancelled' });
    const timeline = await settledTexts(order);
    expect(timeline.state).toBe('cancelled');
    expect(timeline.texts.map((t) => [t.templateCode, t.state, t.reason])).toEqual([
      ['order_confirmation', 'accepted', undefined],
      ['payment_reminder', 'cancelled', 'order_cancelled'],
    ]);
    expect(sentTemplates()).toEqual(['order_confirmation']);
    // The confirmation was handed over: asked back, too late (a provider had it), so it stays accepted.
    expect(recalled()).toEqual([[messageOf(order, 'confirmed', 0)]]);
    expect(timeline.texts[0].recall).toEqual({ reason: 'order_cancelled', tooLate: true });
  });

  it('cancelled asks back a text already handed over: cancelled when no provider has it yet', async () => {
    h.fake.reset({ recallableOrderTexts: ['order_confirmation'] });
    const order = freshId('ord');
    await postEvent(h, order, 'confirmed', at(0));
    await until(
      () => timelineOf(h, order),
      (t) => t.texts[0]?.state === 'accepted',
    );
    await postEvent(h, order, 'cancelled', at(1));
    const timeline = await settledTexts(order);
    expect(recalled()).toEqual([[messageOf(order, 'confirmed', 0)]]);
    expect(timeline.texts.map((t) => [t.templateCode, t.state, t.reason, t.messageId])).toEqual([
      ['order_confirmation', 'cancelled', 'order_cancelled', messageOf(order, 'confirmed', 0)],
    ]);
  });

  it('paid asks back a reminder that was being handed over, once it is handed', async () => {
    h.fake.reset({ recallableOrderTexts: ['payment_reminder'] });
    h.fake.holdSends();
    const order = freshId('ord');
    await postEvent(h, order, 'payment_due', at(0));
    await h.fake.waitForCalls('sendOrderText', 1); // being handed over when the payment comes
    await postEvent(h, order, 'paid', at(5));
    expect(recalled()).toEqual([]); // nothing to ask back before the SMS path has it
    h.fake.releaseSends();
    const timeline = await settledTexts(order);
    expect(recalled()).toEqual([[messageOf(order, 'payment_due', 0)]]);
    expect(timeline.texts.map((t) => [t.templateCode, t.state, t.reason])).toEqual([['payment_reminder', 'cancelled', 'paid']]);
  });

  it('records a text the gateway refuses and goes on with the next', async () => {
    h.fake.reset({ refusedOrderTexts: { order_confirmation: 'validation_failed' } });
    const order = freshId('ord');
    await postEvent(h, order, 'confirmed', at(0));
    await postEvent(h, order, 'driver_departed', at(1));
    const timeline = await settledTexts(order);
    expect(timeline.texts.map((t) => [t.templateCode, t.state, t.reason])).toEqual([
      ['order_confirmation', 'failed', 'validation_failed'],
      ['delivery_on_way', 'accepted', undefined],
    ]);
  });

  it('ends a while after the order settles, forgets its events, refuses later ones, and still answers its timeline', async () => {
    h.fake.reset({});
    const order = freshId('ord');
    const options = { lingerMs: 1_000 };
    await postEvent(h, order, 'completed', at(30), { options });
    const done = await orderHandle(h, order).result();
    expect(done).toMatchObject({ state: 'closed', step: 'completed' });
    expect(h.fake.named('forgetOrderEvents').map((c) => c.input.eventIds)).toEqual([[`${order}-completed-${at(30)}`]]);
    await expect(postEvent(h, order, 'completed', at(31), { options })).rejects.toThrow(/already started|already exists/i);
    expect((await timelineOf(h, order)).state).toBe('closed');
  });

  it("belongs to the first sender key that posts to it: another key's events are refused unrecorded, also after continue-as-new", async () => {
    h.fake.reset({});
    const order = freshId('ord');
    const options = { historyLimit: 20 };
    // An admin's event (no sender) leaves the order unowned; the order system's key then owns it.
    expect(await postEvent(h, order, 'confirmed', at(0), { options })).toMatchObject({ decision: 'applied' });
    expect((await timelineOf(h, order)).owner).toBeUndefined();
    await postEvent(h, order, 'driver_departed', at(10), { options, sender: 'key-a' });
    await expect(postEvent(h, order, 'arrived', at(20), { options, sender: 'key-b' })).rejects.toMatchObject(notOwned);
    for (let i = 1; i <= 6; i++) await postEvent(h, order, 'driver_departed', at(10 + i), { options, sender: 'key-a' });
    await until(
      () => timelineOf(h, order),
      (t) => t.events.length === 8,
    );
    const runs = async () => {
      const found = [];
      for await (const run of h.client.workflow.list({ query: `WorkflowId="${orderHandle(h, order).workflowId}"` })) found.push(run.status.name);
      return found;
    };
    await until(runs, (r) => r.includes('CONTINUED_AS_NEW') && r.includes('RUNNING'));
    await expect(postEvent(h, order, 'arrived', at(21), { options, sender: 'key-b' })).rejects.toMatchObject(notOwned);
    expect(await postEvent(h, order, 'arrived', at(22))).toMatchObject({ decision: 'applied' }); // an admin still may
    const timeline = await timelineOf(h, order);
    expect(timeline.owner).toBe('key-a');
    expect(timeline.events.map((e) => e.occurredAt)).not.toContain(at(20));
    expect(timeline.events.map((e) => e.occurredAt)).not.toContain(at(21));
  });

  it('continues as new when its history grows, keeping what it decided', async () => {
    h.fake.reset({});
    const order = freshId('ord');
    const options = { historyLimit: 20 };
    await postEvent(h, order, 'confirmed', at(0), { options });
    for (let i = 1; i <= 6; i++) await postEvent(h, order, 'confirmed', at(i), { options });
    const runs = async () => {
      const found = [];
      for await (const run of h.client.workflow.list({ query: `WorkflowId="${orderHandle(h, order).workflowId}"` })) found.push(run.status.name);
      return found;
    };
    await until(runs, (r) => r.includes('CONTINUED_AS_NEW') && r.includes('RUNNING'));
    expect(await postEvent(h, order, 'confirmed', at(10), { options })).toEqual({ decision: 'ignored', reason: 'duplicate' });
    const timeline = await timelineOf(h, order);
    expect(timeline.events).toHaveLength(8);
    expect(sentTemplates()).toEqual(['order_confirmation']);
  });
});
