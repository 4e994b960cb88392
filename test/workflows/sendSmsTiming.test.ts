// scheduled_at, valid_until and cancel: what the workflow decides before any provider call.
import { WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import { SMS_TASK_QUEUE, workflowIdFor } from '../../src/domain/sms';
import { cancelMessageUpdate, sendSmsWorkflow, statusQuery } from '../../src/workflows';
import { PROVIDER_SLOTS, cancelWhileRecordedSendIsLost, freshId, providerCallScheduled, startHarness, startSms, until, type Harness } from './harness';

let h: Harness;
beforeAll(async () => void (h = await startHarness()));
afterEach(() => h?.cleanUp());
afterAll(() => h?.teardown());

const delivered = { providers: { every8d: { pushes: 'delivered' as const } } };
const providerCalls = () => h.fake.named('sendViaProvider');

describe('sendSmsWorkflow with a send time', () => {
  it('holds a scheduled message (counted as scheduled) until its time, then sends it', async () => {
    const sendAtMs = Date.now() + 2_000;
    const handle = await startSms(h, delivered, undefined, { sendAtMs });
    await h.fake.waitForCalls('admitScheduled', 1);
    expect((await handle.query(statusQuery)).status).toBe('scheduled');
    expect(providerCalls()).toEqual([]);
    const [call] = await h.fake.waitForCalls('sendViaProvider', 1);
    expect(Date.now()).toBeGreaterThanOrEqual(sendAtMs);
    expect(call.input.provider).toBe('every8d');
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'every8d' });
  });

  it('expires without trying any provider when valid_until has passed at send time', async () => {
    const handle = await startSms(h, delivered, undefined, { validUntilMs: Date.now() - 1 });
    expect(await handle.result()).toEqual({ status: 'expired', reason: 'validity_ended' });
    expect(providerCalls()).toEqual([]);
    expect(h.fake.named('markFinal').map((c) => c.input)).toEqual([expect.objectContaining({ status: 'expired', code: 'validity_ended' })]);
  });

  it('sends a message whose validity has not ended', async () => {
    const handle = await startSms(h, delivered, undefined, { validUntilMs: Date.now() + 60_000 });
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'every8d' });
  });
});

describe('quiet hours at send time', () => {
  it('waits for them to end when the provider call finds them, then tries the same provider again', async () => {
    const handle = await startSms(h, { providers: { every8d: { quietForMs: 1_500, pushes: 'delivered' } } });
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'every8d' });
    expect(providerCalls().map((c) => c.input.provider)).toEqual(['every8d', 'every8d']);
    const { events } = await handle.fetchHistory();
    expect(events?.filter((e) => e.timerStartedEventAttributes)).toHaveLength(1);
  });

  it('ends cancelled, texting nobody, when cancelled during that wait', async () => {
    const handle = await startSms(h, { providers: { every8d: { quietForMs: 60_000 } } });
    // Waiting for the window to end (its timer), not trying the next provider.
    await until(
      () => handle.fetchHistory(),
      ({ events }) => events?.some((e) => e.timerStartedEventAttributes) ?? false,
    );
    expect(await handle.executeUpdate(cancelMessageUpdate)).toEqual({ status: 'cancelled' });
    expect(await handle.result()).toEqual({ status: 'cancelled' });
    expect(providerCalls()).toHaveLength(1);
  });
});

describe('cancelling a message', () => {
  it('cancels a scheduled message while it waits: stored as cancelled, no provider tried', async () => {
    const handle = await startSms(h, delivered, undefined, { sendAtMs: Date.now() + 10 * 60_000 });
    await h.fake.waitForCalls('admitScheduled', 1);
    expect(await handle.executeUpdate(cancelMessageUpdate)).toEqual({ status: 'cancelled' });
    expect(await handle.result()).toEqual({ status: 'cancelled' });
    expect(h.fake.named('markCancelled')).toHaveLength(1);
    expect(h.fake.named('prepareSend')).toEqual([]);
    expect(providerCalls()).toEqual([]);
  });

  it('cancels a queued message whose provider step has not started', async () => {
    h.fake.holdPrepares();
    h.fake.reset(delivered);
    // An update reaches a workflow whose local activity is still running at the next workflow-task heartbeat
    // (80 % of the task timeout): a short timeout keeps this test short.
    const handle = await h.client.workflow.start(sendSmsWorkflow, {
      workflowId: workflowIdFor(freshId('msg')),
      taskQueue: SMS_TASK_QUEUE,
      args: [{ messageId: freshId('msg') }],
      workflowTaskTimeout: '2 seconds',
    });
    await h.fake.waitForCalls('prepareSend', 1);
    // Accepted while prepareSend still runs; the workflow then stops before the provider step.
    const cancel = await handle.startUpdate(cancelMessageUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
    h.fake.releasePrepares();
    expect(await cancel.result()).toEqual({ status: 'cancelled' });
    expect(await handle.result()).toEqual({ status: 'cancelled' });
    expect(providerCalls()).toEqual([]);
  });

  it('cancels a message whose provider call waits in the provider queue: the call never runs', async () => {
    h.fake.holdSends();
    h.fake.reset(delivered);
    const start = (messageId: string) =>
      h.client.workflow.start(sendSmsWorkflow, { workflowId: workflowIdFor(messageId), taskQueue: SMS_TASK_QUEUE, args: [{ messageId }] });
    // The provider's worker busy with other messages: this one's call is scheduled and waits, as behind a rate limit.
    const busy = await Promise.all(Array.from({ length: PROVIDER_SLOTS }, () => start(freshId('msg'))));
    await h.fake.waitForCalls('sendViaProvider', PROVIDER_SLOTS);
    const messageId = freshId('msg');
    const handle = await start(messageId);
    await providerCallScheduled(handle);
    expect(await handle.executeUpdate(cancelMessageUpdate)).toEqual({ status: 'cancelled' });
    expect(await handle.result()).toEqual({ status: 'cancelled' });
    h.fake.releaseSends();
    for (const other of busy) expect(await other.result()).toEqual({ status: 'delivered', provider: 'every8d' });
    expect(providerCalls().filter((c) => c.input.messageId === messageId)).toEqual([]);
    expect(h.fake.named('markCancelled').map((c) => c.input)).toEqual([{ messageId }]);
  });

  it('refuses a cancel taken while the provider call runs once the provider accepts, and the message is sent normally', async () => {
    h.fake.holdSends();
    const handle = await startSms(h, delivered);
    await h.fake.waitForCalls('sendViaProvider', 1);
    const cancel = await handle.startUpdate(cancelMessageUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
    h.fake.releaseSends();
    const refusal = await cancel.result().catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refusal as WorkflowUpdateFailedError).cause?.message).toMatch(/provider has accepted/);
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'every8d' });
    expect(h.fake.named('markCancelled')).toEqual([]);
  });

  it('refuses a cancel whose stopped call had got through (recorded, then its worker lost), and waits for the receipt', async () => {
    const { handle, answer: refusal } = await cancelWhileRecordedSendIsLost(h);
    expect(refusal).toBeInstanceOf(WorkflowUpdateFailedError);
    expect((refusal as WorkflowUpdateFailedError).cause?.message).toMatch(/provider has accepted/);
    expect(await handle.result()).toEqual({ status: 'delivered', provider: 'every8d' });
    expect(h.fake.named('markCancelled')).toHaveLength(1);
    expect(h.fake.named('recordReceipt').map((c) => c.input.report.outcome)).toEqual(['delivered']);
  });

  it('ends cancelled, trying no other provider, when the call running at the cancel fails', async () => {
    h.fake.holdSends();
    const handle = await startSms(h, {
      plan: { route: ['every8d', 'mitake'] },
      providers: { every8d: { fails: { type: 'ProviderUnavailable', code: '-2' } }, mitake: { pushes: 'delivered' } },
    });
    await h.fake.waitForCalls('sendViaProvider', 1);
    const cancel = await handle.startUpdate(cancelMessageUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
    h.fake.releaseSends();
    expect(await cancel.result()).toEqual({ status: 'cancelled' });
    expect(await handle.result()).toEqual({ status: 'cancelled' });
    expect(providerCalls().map((c) => c.input.provider)).toEqual(['every8d']);
    expect(h.fake.named('markCancelled')).toHaveLength(1);
  });

  it('refuses a cancel after the message has ended', async () => {
    const handle = await startSms(h, { plan: { route: [] } });
    await h.fake.waitForCalls('markFinal', 1);
    await until(
      () => handle.query(statusQuery),
      (s) => s.status === 'failed',
    );
    // The workflow may already have closed: either way the cancel does not happen.
    await expect(handle.executeUpdate(cancelMessageUpdate)).rejects.toThrow();
    expect(await handle.result()).toEqual({ status: 'failed', reason: 'no_provider_available' });
    expect(h.fake.named('markCancelled')).toEqual([]);
  });
});
