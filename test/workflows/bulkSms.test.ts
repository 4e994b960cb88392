import { SMS_TASK_QUEUE, workflowIdFor } from '../../src/domain/sms';
import { cancelSignal, pauseSignal, progressQuery, resumeSignal, sendSmsWorkflow } from '../../src/workflows';
import { batchMessageIds, type Scenario } from './fakes';
import { batchWithQueuedCalls, freshId, signalWhileNextPageIsPrepared, startBatch, startHarness, until, type Harness } from './harness';

let h: Harness;
beforeAll(async () => void (h = await startHarness()));
afterEach(() => h?.cleanUp());
afterAll(() => h?.teardown());

// Every child is delivered at once unless a test holds the sends.
const batch = (plan: Scenario['batch']): Scenario => ({ batch: plan, providers: { every8d: { pushes: 'delivered' } } });
const sentIds = () => h.fake.named('sendViaProvider').map((c) => c.input.messageId);
const batchStatuses = () => h.fake.named('setBatchStatus').map((c) => c.input.status);

describe('bulkSmsWorkflow', () => {
  it('reports a finished batch as completed, in its result and to a progress query after it closed', async () => {
    const handle = await startBatch(h, batch({ total: 1 }));
    expect(await handle.result()).toMatchObject({ status: 'completed' });
    expect(await handle.query(progressQuery)).toMatchObject({ status: 'completed', started: 1 });
  });

  it('sends every recipient page by page, continuing as new after each page', async () => {
    const batchId = freshId('batch');
    const handle = await startBatch(h, batch({ total: 5, pageSize: 2, window: 5 }), batchId);
    expect(await handle.result()).toMatchObject({ started: 5, total: 5, inFlight: 0 });
    expect(sentIds().sort()).toEqual(batchMessageIds(batchId, 0, 5));
    // Each run prepares the next page while its own children start, and hands it to the next run.
    expect(h.fake.named('prepareBatchPage').map((c) => c.input.fromIndex)).toEqual([0, 2, 4]);
    expect(h.fake.named('planBatch')).toHaveLength(1);
    expect(batchStatuses()).toEqual(['running', 'completed']);
    const firstRun = await h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId).describe();
    expect(firstRun.status.name).toBe('CONTINUED_AS_NEW');
  });

  it('plans each page once and starts its children with that plan, so no child plans for itself', async () => {
    const batchId = freshId('batch');
    const handle = await startBatch(
      h,
      { batch: { total: 3, pageSize: 2, window: 5 }, plan: { route: ['mitake'] }, providers: { mitake: { pushes: 'delivered' } } },
      batchId,
    );
    await handle.result();
    // One plan serves both pages: the first run hands it over with the next page, as it is under a minute old.
    expect(h.fake.named('planPageSends')).toHaveLength(1);
    expect(h.fake.named('prepareSend')).toHaveLength(0);
    const children = await Promise.all(batchMessageIds(batchId, 0, 3).map((id) => h.client.workflow.getHandle(workflowIdFor(id)).result()));
    expect(children.map((r) => r.provider)).toEqual(['mitake', 'mitake', 'mitake']);
  });

  it('keeps no more messages at the providers than its window', async () => {
    h.fake.holdSends();
    const handle = await startBatch(h, batch({ total: 4, window: 2 }));
    await h.fake.waitForCalls('sendViaProvider', 2);
    const full = await until(
      () => handle.query(progressQuery),
      (p) => p.started === 2,
    );
    expect(full).toMatchObject({ status: 'running', started: 2, inFlight: 2 });
    expect(sentIds()).toHaveLength(2);
    h.fake.releaseSends();
    expect(await handle.result()).toMatchObject({ started: 4, inFlight: 0 });
    expect(batchStatuses()).toEqual(['running', 'completed']);
  });

  it('pauses (recording it), starts nothing while paused, and resumes where it stopped', async () => {
    h.fake.holdSends();
    const handle = await startBatch(h, batch({ total: 3, window: 1 }));
    await h.fake.waitForCalls('sendViaProvider', 1);
    await handle.signal(pauseSignal);
    await h.fake.waitForCalls('setBatchStatus', 2);
    h.fake.releaseSends();
    const paused = await until(
      () => handle.query(progressQuery),
      (p) => p.inFlight === 0,
    );
    expect(paused).toMatchObject({ status: 'paused', started: 1 });
    expect(sentIds()).toHaveLength(1);
    await handle.signal(resumeSignal);
    expect(await handle.result()).toMatchObject({ started: 3, inFlight: 0 });
    expect(batchStatuses()).toEqual(['running', 'paused', 'running', 'completed']);
  });

  it('records a pause that comes while the next page is prepared, in the run that continues', async () => {
    const handle = await signalWhileNextPageIsPrepared(h, batch({ total: 4, pageSize: 2, window: 5 }), freshId('batch'), pauseSignal);
    await h.fake.waitForCalls('setBatchStatus', 2);
    expect(batchStatuses()).toEqual(['running', 'paused']);
    expect(await handle.query(progressQuery)).toMatchObject({ status: 'paused', started: 2 });
    await handle.signal(resumeSignal);
    expect(await handle.result()).toMatchObject({ status: 'completed', started: 4 });
    expect(batchStatuses()).toEqual(['running', 'paused', 'running', 'completed']);
  });

  it('starts nothing when a quiet-hours wait ends while the batch is paused', async () => {
    // The pause must land while the batch waits: 5 s leaves room for a slow machine to get there first.
    const openAt = Date.now() + 5_000;
    const handle = await startBatch(h, { ...batch({ total: 1, respectQuietHours: true }), quietGate: () => ({ openAt, closeAt: openAt + 3_600_000 }) });
    await until(
      () => handle.query(progressQuery),
      (p) => p.status === 'waiting_for_allowed_hours',
    );
    await handle.signal(pauseSignal);
    // Its progress says paused at once, while the wait goes on (it still names when the window opens).
    const pausedWhileWaiting = await until(
      () => handle.query(progressQuery),
      (p) => p.status === 'paused',
    );
    expect(pausedWhileWaiting).toMatchObject({ started: 0, resumesAt: new Date(openAt).toISOString() });
    // Once the wait is over the pause is recorded, and nothing has started.
    await h.fake.waitForCalls('setBatchStatus', 2);
    expect(await handle.query(progressQuery)).toMatchObject({ status: 'paused', started: 0 });
    expect(sentIds()).toEqual([]);
    await handle.signal(resumeSignal);
    expect(await handle.result()).toMatchObject({ status: 'completed', started: 1 });
    expect(batchStatuses()).toEqual(['running', 'paused', 'running', 'completed']);
  });

  it('starts nothing more once cancelled and records the batch as cancelled', async () => {
    h.fake.holdSends();
    const handle = await startBatch(h, batch({ total: 3, window: 1 }));
    await h.fake.waitForCalls('sendViaProvider', 1);
    await handle.signal(cancelSignal);
    // The child in its provider call is asked to stop too; the call gets through, so it goes on.
    await h.fake.waitForCalls('cancelInFlight', 1);
    h.fake.releaseSends();
    expect(await handle.result()).toMatchObject({ status: 'cancelled', started: 1 });
    expect(batchStatuses()).toEqual(['running', 'cancelled']);
  });

  it('takes back, when cancelled, the children whose provider calls still wait in the queue', async () => {
    const batchId = freshId('batch');
    const { handle, started, inCalls, queued, unstarted } = await batchWithQueuedCalls(h, batch({}), batchId);
    await handle.signal(cancelSignal);
    await h.fake.waitForCalls('markCancelled', queued.length);
    h.fake.releaseSends();
    expect(await handle.result()).toMatchObject({ status: 'cancelled', started: started.length });
    expect(
      h.fake
        .named('markCancelled')
        .map((c) => c.input.messageId)
        .sort(),
    ).toEqual(queued);
    expect(sentIds().sort()).toEqual(inCalls);
    expect(h.fake.named('cancelInFlight').map((c) => c.input.messageIds.sort())).toEqual([started]);
    expect(h.fake.named('cancelUnstarted').map((c) => c.input.messageIds)).toEqual([unstarted]);
    for (const id of queued) expect(await h.client.workflow.getHandle(workflowIdFor(id)).result()).toEqual({ status: 'cancelled' });
    for (const id of inCalls) expect(await h.client.workflow.getHandle(workflowIdFor(id)).result()).toMatchObject({ status: 'delivered' });
  });

  it('cancels the messages it prepared and did not start: the rest of its page and the next page', async () => {
    h.fake.holdSends();
    const batchId = freshId('batch');
    const handle = await startBatch(h, batch({ total: 5, pageSize: 2, window: 1 }), batchId);
    await h.fake.waitForCalls('sendViaProvider', 1);
    await h.fake.waitForCalls('prepareBatchPage', 2); // this page, and the next prepared ahead
    await handle.signal(cancelSignal);
    await h.fake.waitForCalls('cancelInFlight', 1);
    h.fake.releaseSends();
    expect(await handle.result()).toMatchObject({ status: 'cancelled', started: 1 });
    expect(h.fake.named('cancelUnstarted').map((c) => c.input)).toEqual([{ batchId, messageIds: batchMessageIds(batchId, 1, 4) }]);
    expect(batchStatuses()).toEqual(['running', 'cancelled']);
  });

  it('keeps a cancel that comes while the next page is still being prepared, across continue-as-new', async () => {
    const batchId = freshId('batch');
    const handle = await signalWhileNextPageIsPrepared(h, batch({ total: 4, pageSize: 2, window: 5 }), batchId, cancelSignal);
    expect(await handle.result()).toMatchObject({ status: 'cancelled', started: 2 });
    expect(sentIds().sort()).toEqual(batchMessageIds(batchId, 0, 2));
    expect(h.fake.named('cancelUnstarted').map((c) => c.input)).toEqual([{ batchId, messageIds: batchMessageIds(batchId, 2, 4) }]);
    expect(batchStatuses()).toEqual(['running', 'cancelled']);
  });

  it('ends a scheduled batch cancelled before its time without sending anything', async () => {
    const handle = await startBatch(h, batch({ scheduledAtMs: Date.now() + 3_600_000 }));
    await until(
      () => handle.query(progressQuery),
      (p) => p.status === 'scheduled',
    );
    await handle.signal(cancelSignal);
    expect(await handle.result()).toMatchObject({ status: 'cancelled', started: 0 });
    expect(h.fake.named('prepareBatchPage')).toEqual([]);
  });

  it('waits outside allowed hours and says when it resumes', async () => {
    const openAt = Date.now() + 3_600_000;
    const handle = await startBatch(h, { ...batch({ respectQuietHours: true }), quietGate: () => ({ openAt, closeAt: openAt + 3_600_000 }) });
    const waiting = await until(
      () => handle.query(progressQuery),
      (p) => p.status === 'waiting_for_allowed_hours',
    );
    expect(waiting.resumesAt).toBe(new Date(openAt).toISOString());
    await handle.signal(cancelSignal);
    expect(await handle.result()).toMatchObject({ status: 'cancelled', started: 0 });
    expect(sentIds()).toEqual([]);
  });

  it('does not start a message twice, nor wait for one it did not start', async () => {
    const batchId = freshId('batch');
    const [first, second] = batchMessageIds(batchId, 0, 2);
    // Started by someone else, on a queue no worker polls: it stays running and never sends.
    await h.client.workflow.start(sendSmsWorkflow, { workflowId: workflowIdFor(first), taskQueue: `${SMS_TASK_QUEUE}-nobody`, args: [{ messageId: first }] });
    const handle = await startBatch(h, batch({ total: 2 }), batchId);
    expect(await handle.result()).toMatchObject({ started: 2, inFlight: 0 });
    expect(sentIds()).toEqual([second]);
    expect(batchStatuses()).toEqual(['running', 'completed']);
  });
});
