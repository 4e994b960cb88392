import { SMS_TASK_QUEUE } from '../../src/domain/sms';
import { createLogger } from '../../src/log';
import { warmUpWorkflowThread } from '../../src/temporal/warmUp';
import { startHarness, until, type Harness } from './harness';

let h: Harness;
beforeAll(async () => void (h = await startHarness()));
afterEach(() => h?.cleanUp());
afterAll(() => h?.teardown());

describe('warming up a worker’s workflow thread', () => {
  it('runs one warm-up workflow on the queue to completion, and calls no activity', async () => {
    h.fake.reset({});
    await warmUpWorkflowThread(h.client, SMS_TASK_QUEUE, createLogger('test', 'error'));
    const runs = await until(
      () => listed('WorkflowType = "workerWarmUpWorkflow"'),
      (found) => found.length > 0,
    );
    expect(runs.map((w) => w.status.name)).toEqual(['COMPLETED']);
    expect(h.fake.calls).toEqual([]);
  });

  it('never throws: a queue no worker polls only logs a warning once the warm-up times out', async () => {
    const warnings: string[] = [];
    const log = { ...createLogger('test', 'error'), warn: (message: string) => void warnings.push(message) };
    // A terminated run stands in for the minute without a worker, which this test does not wait for.
    const warming = warmUpWorkflowThread(h.client, 'nobody-polls-this-queue', log);
    const [run] = await until(
      () => listed('TaskQueue = "nobody-polls-this-queue" AND ExecutionStatus = "Running"'),
      (found) => found.length > 0,
    );
    await h.client.workflow.getHandle(run.workflowId).terminate('test');
    await expect(warming).resolves.toBeUndefined();
    expect(warnings).toEqual(['could not warm up the workflow thread']);
  });
});

async function listed(query: string) {
  const found = [];
  for await (const w of h.client.workflow.list({ query })) found.push(w);
  return found;
}
