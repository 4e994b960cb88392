// The two workflows Temporal Schedules start: one campaign run, one alert evaluation.
import { SMS_TASK_QUEUE } from '../../src/domain/sms';
import { SmsMessageTypeKey } from '../../src/temporal/searchAttributes';
import { alertsWorkflow, bulkWorkflowId, campaignRunWorkflow } from '../../src/workflows';
import { freshId, startHarness, type Harness } from './harness';

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
