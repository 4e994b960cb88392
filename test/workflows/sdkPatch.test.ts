import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { finishSignal, spinningWorkflow, waitingWorkflow } from './fixtures/sdkPatchWorkflows';
import { startTestServer } from './harness';

/**
 * Our patch to @temporalio/worker (patches/README.md): the deadlock timeout is watched once per workflow thread
 * instead of by a watchdog thread per call, and stack-trace capture follows TEMPORAL_WORKFLOW_STACK_TRACES.
 * Unpatched, the first test fails: the SDK fails only the one workflow task and the worker keeps running.
 */
let env: TestWorkflowEnvironment;
beforeAll(async () => void (env = await startTestServer()));
afterAll(() => env?.teardown());

const workflowsPath = require.resolve('./fixtures/sdkPatchWorkflows');

async function workerWith(stackTraces: 'on' | 'off', options: { isolateExecutionTimeout?: string } = {}) {
  const previous = process.env.TEMPORAL_WORKFLOW_STACK_TRACES;
  // Workflow threads copy the environment when Worker.create spawns them.
  process.env.TEMPORAL_WORKFLOW_STACK_TRACES = stackTraces;
  try {
    const taskQueue = `sdk-patch-${randomUUID()}`;
    const worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowsPath, ...options });
    return { worker, taskQueue };
  } finally {
    if (previous === undefined) delete process.env.TEMPORAL_WORKFLOW_STACK_TRACES;
    else process.env.TEMPORAL_WORKFLOW_STACK_TRACES = previous;
  }
}

describe('patched workflow threads', () => {
  it('stops the worker with the stuck run named when workflow code never yields', async () => {
    const { worker, taskQueue } = await workerWith('off', { isolateExecutionTimeout: '1s' });
    const running = worker.run();
    const handle = await env.client.workflow.start(spinningWorkflow, { taskQueue, workflowId: `spin-${randomUUID()}` });
    await expect(running).rejects.toThrow(new RegExp(`Potential deadlock detected.*${handle.firstExecutionRunId}`));
    await handle.terminate('test finished');
  });

  it('runs ordinary workflows to completion with the per-thread watch in place', async () => {
    const { worker, taskQueue } = await workerWith('off', { isolateExecutionTimeout: '1s' });
    await worker.runUntil(async () => {
      const handles = await Promise.all(
        Array.from({ length: 20 }, () => env.client.workflow.start(waitingWorkflow, { taskQueue, workflowId: `wait-${randomUUID()}` })),
      );
      await Promise.all(handles.map((h) => h.signal(finishSignal)));
      expect(await Promise.all(handles.map((h) => h.result()))).toEqual(Array(20).fill('finished'));
    });
  });

  it('answers the stack-trace query only when stack traces are on', async () => {
    for (const setting of ['on', 'off'] as const) {
      const { worker, taskQueue } = await workerWith(setting);
      await worker.runUntil(async () => {
        const handle = await env.client.workflow.start(waitingWorkflow, { taskQueue, workflowId: `stack-${randomUUID()}` });
        const stack = handle.query<string>('__stack_trace');
        if (setting === 'on') expect(await stack).toContain('waitingWorkflow');
        else await expect(stack).rejects.toThrow('Workflow stack traces are not enabled on this worker');
        await handle.signal(finishSignal);
        await handle.result();
      });
    }
  });
});
