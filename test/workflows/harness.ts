import { randomUUID } from 'node:crypto';
import { WorkflowUpdateStage, type Client, type WorkflowHandle } from '@temporalio/client';
import type { SignalDefinition } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { PROVIDER_NAMES, SMS_TASK_QUEUE, providerTaskQueue, workflowIdFor } from '../../src/domain/sms';
import { SMS_SEARCH_ATTRIBUTES } from '../../src/temporal/searchAttributes';
import {
  bulkSmsWorkflow,
  bulkWorkflowId,
  cancelMessageUpdate,
  deliveryReportSignal,
  pauseSignal,
  sendSmsWorkflow,
  type SendSmsInput,
} from '../../src/workflows';
import { temporalCli } from './cli';
import { FakeActivities, batchMessageIds, report, type Scenario } from './fakes';

/**
 * An in-memory dev server (no time skipping: that needs the Java test server, which cannot be downloaded
 * offline), with our search attributes registered as the embedded stack does. The SDK already turns the
 * version check off, which offline machines need.
 */
export async function startTestServer(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: await temporalCli() },
      // Passed on as `--search-attribute Name=Keyword`, like src/stack/embedded.ts does.
      searchAttributes: SMS_SEARCH_ATTRIBUTES,
    },
  });
}

let runtimeInstalled = false;
/** Expected activity failures and worker state changes would drown the test output; once per module registry. */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
}

export interface Harness {
  env: TestWorkflowEnvironment;
  client: Client;
  fake: FakeActivities;
  /** Ends every workflow still running, so nothing a test left behind reaches the next test's fakes. */
  cleanUp(): Promise<void>;
  teardown(): Promise<void>;
}

/**
 * Provider calls one provider's worker runs at once: few, so a test that holds sends can fill them and see the next
 * call wait in its queue, as calls do behind a provider's rate limit.
 */
export const PROVIDER_SLOTS = 2;

/**
 * The production worker layout with fake activities: workflows and bookkeeping on `sms`, and one activity-only
 * worker per provider queue. Built once per file (bundling the workflows takes seconds); tests swap scenarios.
 */
export async function startHarness(): Promise<Harness> {
  const server = await startTestServer();
  const fake = new FakeActivities(() => server.client);
  const connection = server.nativeConnection;
  const workers = [
    await Worker.create({ connection, taskQueue: SMS_TASK_QUEUE, workflowsPath: require.resolve('../../src/workflows'), activities: fake.activities }),
    ...(await Promise.all(
      PROVIDER_NAMES.map((p) =>
        Worker.create({ connection, taskQueue: providerTaskQueue(p), activities: fake.activities, maxConcurrentActivityTaskExecutions: PROVIDER_SLOTS }),
      ),
    )),
  ];
  const running = workers.map((w) => w.run());
  const cleanUp = async () => {
    fake.releaseSends();
    for await (const wf of server.client.workflow.list({ query: 'ExecutionStatus="Running"' })) {
      await server.client.workflow
        .getHandle(wf.workflowId, wf.runId)
        .terminate('test finished')
        .catch(() => undefined);
    }
  };
  return {
    env: server,
    client: server.client,
    fake,
    cleanUp,
    teardown: async () => {
      await cleanUp();
      workers.forEach((w) => w.shutdown());
      await Promise.all(running);
      await server.teardown();
    },
  };
}

/** A fresh id per test, so tests stay independent on a shared server. */
export const freshId = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** Starts one SMS workflow as the API does (the message id is the workflow id's suffix) under `scenario`. */
export function startSms(h: Harness, scenario: Scenario, messageId = freshId('msg'), timing: Omit<SendSmsInput, 'messageId'> = {}) {
  h.fake.reset(scenario);
  return h.client.workflow.start(sendSmsWorkflow, {
    workflowId: workflowIdFor(messageId),
    taskQueue: SMS_TASK_QUEUE,
    args: [{ messageId, ...timing }],
  });
}

/**
 * Starts one SMS and cancels it while its provider call runs; the call then records the acceptance and fails, as
 * when its worker is lost before reporting it (Temporal does not retry an activity being cancelled). Returns the
 * workflow and the cancel's answer.
 */
export async function cancelWhileRecordedSendIsLost(h: Harness, messageId = freshId('msg')) {
  h.fake.holdSends();
  const handle = await startSms(h, { providers: { every8d: { pushes: 'delivered', failsAfterRecording: true } } }, messageId);
  await h.fake.waitForCalls('sendViaProvider', 1);
  const cancel = await handle.startUpdate(cancelMessageUpdate, { waitForStage: WorkflowUpdateStage.ACCEPTED });
  h.fake.releaseSends();
  return { handle, answer: await cancel.result().catch((err: unknown) => err) };
}

/**
 * Starts one SMS whose receipt deadline passes (1 s), holds its expiry record (`markFinal`) longer than its workflow
 * task (2 s, so the worker heartbeats the task) and signals the receipt meanwhile: the receipt reaches the workflow
 * in a task of its own before `markFinal` returns, as when a slow store holds the record. Returns once that task
 * completed and `markFinal` was let go.
 */
export async function receiptWhileExpiryIsRecorded(h: Harness, messageId = freshId('msg')) {
  h.fake.holdFinals();
  h.fake.reset({ plan: { receiptTimeoutMs: 1_000 } });
  const handle = await h.client.workflow.start(sendSmsWorkflow, {
    workflowId: workflowIdFor(messageId),
    taskQueue: SMS_TASK_QUEUE,
    args: [{ messageId }],
    workflowTaskTimeout: '2 seconds',
  });
  const [sent] = await h.fake.waitForCalls('recordSent', 1);
  await h.fake.waitForCalls('markFinal', 1);
  const late = report('every8d', sent.input.providerMessageId, 'delivered');
  await handle.signal(deliveryReportSignal, late);
  await until(
    () => handle.fetchHistory(),
    ({ events }) => {
      if (!events) return false;
      const signalled = events.findIndex((e) => e.workflowExecutionSignaledEventAttributes);
      return signalled >= 0 && events.slice(signalled).some((e) => e.workflowTaskCompletedEventAttributes);
    },
  );
  h.fake.releaseFinals();
  return { handle, late };
}

/**
 * A batch of 5 whose window (4) is full with sends held: two children in provider calls (every slot of the
 * provider's worker), two whose calls are scheduled and wait in the queue, one not started. For cancels.
 */
export async function batchWithQueuedCalls(h: Harness, scenario: Scenario, batchId = freshId('batch')) {
  h.fake.holdSends();
  const handle = await startBatch(h, { ...scenario, batch: { ...scenario.batch, total: 5, window: 2 * PROVIDER_SLOTS } }, batchId);
  await h.fake.waitForCalls('sendViaProvider', PROVIDER_SLOTS);
  const started = batchMessageIds(batchId, 0, 2 * PROVIDER_SLOTS);
  const inCalls = h.fake
    .named('sendViaProvider')
    .map((c) => c.input.messageId as string)
    .sort();
  const queued = started.filter((id) => !inCalls.includes(id));
  for (const id of queued) await providerCallScheduled(h.client.workflow.getHandle(workflowIdFor(id)));
  return { handle, started, inCalls, queued, unstarted: batchMessageIds(batchId, 2 * PROVIDER_SLOTS, 5) };
}

/** Resolves once the SMS workflow has scheduled its provider call (which may still wait in the queue). */
export async function providerCallScheduled(handle: Pick<WorkflowHandle, 'fetchHistory'>): Promise<void> {
  await until(
    () => handle.fetchHistory(),
    ({ events }) => (events ?? []).some((e) => e.activityTaskScheduledEventAttributes),
  );
}

/** Starts one batch as the API does under `scenario`. */
export function startBatch(h: Harness, scenario: Scenario, batchId = freshId('batch')) {
  h.fake.reset(scenario);
  return h.client.workflow.start(bulkSmsWorkflow, { workflowId: bulkWorkflowId(batchId), taskQueue: SMS_TASK_QUEUE, args: [{ batchId }] });
}

/**
 * A campaign's pause reaching a run's batch before the run started it: the API's signal-with-start starts the batch
 * with the pause (services/campaigns.ts), and the run's own start then finds it running.
 */
export function pauseBeforeTheRunStartsIt(h: Harness, batchId: string) {
  return h.client.workflow.signalWithStart(bulkSmsWorkflow, {
    workflowId: bulkWorkflowId(batchId),
    taskQueue: SMS_TASK_QUEUE,
    args: [{ batchId }],
    signal: pauseSignal,
    signalArgs: [],
  });
}

/**
 * Reads until `done` holds, for state another workflow changes (a child's slot release reaching its batch):
 * waits on the condition, never for a fixed time. A failed read counts as "not yet" (a query made before the
 * workflow registered its handler); fails with the last value or error read.
 */
export async function until<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = await read().then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    );
    if ('value' in last && done(last.value)) return last.value;
    if (Date.now() > deadline)
      throw new Error(`condition not reached within ${timeoutMs} ms; last read: ${'value' in last ? JSON.stringify(last.value) : String(last.error)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Starts a batch under `scenario` and sends it `signal` while its first run, every child of its first page started
 * and confirmed, waits only for its next page (held until then); continue-as-new follows the signal.
 */
export async function signalWhileNextPageIsPrepared(h: Harness, scenario: Scenario, batchId: string, signal: SignalDefinition) {
  const pageSize = scenario.batch?.pageSize ?? 0;
  h.fake.holdPagesFrom(pageSize);
  const handle = await startBatch(h, scenario, batchId);
  await until(
    () => handle.fetchHistory(),
    (history) => {
      const events = history.events ?? [];
      const started = events.filter((e) => e.childWorkflowExecutionStartedEventAttributes).length;
      return started === pageSize && Boolean(events.at(-1)?.workflowTaskCompletedEventAttributes);
    },
  );
  await handle.signal(signal);
  h.fake.releasePages();
  return handle;
}
