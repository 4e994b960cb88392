// The two workflows Temporal Schedules start: one campaign run, one alert evaluation.
import { SMS_TASK_QUEUE } from '../../src/domain/sms';
import { SmsMessageTypeKey } from '../../src/temporal/searchAttributes';
import { alertsWorkflow, bulkWorkflowId, campaignRunWorkflow, progressQuery, resumeSignal } from '../../src/workflows';
import { freshId, pauseBeforeTheRunStartsIt, startHarness, until, type Harness } from './harness';

let h: Harness;
beforeAll(async () => void (h = await startHarness()));
afterEach(() => h?.cleanUp());
afterAll(() => h?.teardown());

// A schedule names its runs; the run id is what makes createCampaignBatch idempotent.
const runCampaign = (campaignId: string) =>
  h.client.workflow.start(campaignRunWorkflow, { workflowId: freshId(`campaign-${campaignId}-run`), taskQueue: SMS_TASK_QUEUE, args: [{ campaignId }] });

describe('campaignRunWorkflow', () => {
  it('turns a run into a batch and starts that batch, which outlives the run', async () => {
    const batchId = freshId('batch');
    h.fake.reset({ campaignBatch: { batchId, messageType: 'marketing' }, batch: { total: 2 }, providers: { every8d: { pushes: 'delivered' } } });
    const run = await runCampaign('spring');
    expect(await run.result()).toEqual({ batchId });
    expect(h.fake.named('createCampaignBatch').map((c) => c.input)).toEqual([{ campaignId: 'spring', runId: run.workflowId }]);
    const batch = h.client.workflow.getHandle(bulkWorkflowId(batchId));
    expect(await batch.result()).toMatchObject({ started: 2, inFlight: 0 });
    expect((await batch.describe()).typedSearchAttributes.get(SmsMessageTypeKey)).toBe('marketing');
  });

  it('starts its batch paused when the campaign was paused while the run began', async () => {
    const batchId = freshId('batch');
    h.fake.reset({ campaignBatch: { batchId, messageType: 'marketing', paused: true }, batch: { total: 2 }, providers: { every8d: { pushes: 'delivered' } } });
    expect(await (await runCampaign('paused')).result()).toEqual({ batchId });
    const batch = h.client.workflow.getHandle(bulkWorkflowId(batchId));
    // The batch document says so too, once the first page is prepared.
    await h.fake.waitForCalls('setBatchStatus', 2);
    expect(h.fake.named('setBatchStatus').map((c) => c.input.status)).toEqual(['running', 'paused']);
    expect(await batch.query(progressQuery)).toMatchObject({ status: 'paused', started: 0 });
    expect(h.fake.named('sendViaProvider')).toEqual([]);
    await batch.signal(resumeSignal);
    expect(await batch.result()).toMatchObject({ status: 'completed', started: 2 });
  });

  it('starts its batch cancelled when the campaign was deleted while the run stored it: nothing prepared or sent', async () => {
    const batchId = freshId('batch');
    h.fake.reset({
      campaignBatch: { batchId, messageType: 'marketing', cancelled: true },
      batch: { total: 2 },
      providers: { every8d: { pushes: 'delivered' } },
    });
    expect(await (await runCampaign('deleted')).result()).toEqual({ batchId });
    expect(await h.client.workflow.getHandle(bulkWorkflowId(batchId)).result()).toMatchObject({ status: 'cancelled', started: 0 });
    expect(h.fake.named('setBatchStatus').map((c) => c.input.status)).toEqual(['cancelled']);
    expect(h.fake.named('prepareBatchPage')).toEqual([]);
  });

  it("joins its batch when the campaign's pause started that batch first", async () => {
    const batchId = freshId('batch');
    h.fake.reset({ campaignBatch: { batchId, messageType: 'marketing' }, batch: { total: 2 }, providers: { every8d: { pushes: 'delivered' } } });
    const batch = await pauseBeforeTheRunStartsIt(h, batchId);
    expect(await (await runCampaign('joined')).result()).toEqual({ batchId });
    expect(
      await until(
        () => batch.query(progressQuery),
        (p) => p.status === 'paused',
      ),
    ).toMatchObject({ started: 0 });
    await batch.signal(resumeSignal);
    expect(await batch.result()).toMatchObject({ status: 'completed', started: 2 });
  });

  it('starts nothing when the run produces no batch', async () => {
    h.fake.reset({ campaignBatch: null });
    const run = await runCampaign('ended');
    expect(await run.result()).toEqual({});
    expect(h.fake.named('planBatch')).toEqual([]);
  });
});

describe('alertsWorkflow', () => {
  it('returns the alerts one evaluation opened and resolved', async () => {
    h.fake.reset({ alerts: { opened: ['delivery_rate_low'], resolved: ['rate_limited'] } });
    const result = await h.client.workflow.execute(alertsWorkflow, { workflowId: freshId('alerts'), taskQueue: SMS_TASK_QUEUE });
    expect(result).toEqual({ opened: ['delivery_rate_low'], resolved: ['rate_limited'] });
  });
});
