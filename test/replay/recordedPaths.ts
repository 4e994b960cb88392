import type { WorkflowHandle } from '@temporalio/client';
import { SMS_TASK_QUEUE, workflowIdFor } from '../../src/domain/sms';
import {
  alertsWorkflow,
  balanceRefreshWorkflow,
  bulkWorkflowId,
  retentionWorkflow,
  cancelMessageUpdate,
  cancelSignal,
  campaignRunWorkflow,
  lateReceiptWorkflow,
  pauseSignal,
  progressQuery,
  resumeSignal,
  sendSmsWorkflow,
  statusCallbackWorkflow,
  workerWarmUpWorkflow,
} from '../../src/workflows';
import { statusCallbackId, type StatusCallbackInput } from '../../src/domain/statusCallback';
import { batchMessageIds, type Scenario } from '../workflows/fakes';
import {
  batchWithQueuedCalls,
  cancelWhileRecordedSendIsLost,
  pauseBeforeTheRunStartsIt,
  receiptWhileExpiryIsRecorded,
  signalWhileNextPageIsPrepared,
  startBatch,
  startSms,
  until,
  type Harness,
} from '../workflows/harness';
import { at, orderHandle, postEvent, timelineOf } from '../workflows/orders';

type Recorded = Record<string, Pick<WorkflowHandle, 'fetchHistory'>>;

/**
 * The paths whose histories are checked into test/histories/<name>.json and replayed by test/replay. Each runs
 * one path to its end with the workflow tests' fakes and names the runs to keep. Add a path when a change gives
 * a workflow a new branch; `npm run record-histories -- <name>` records just that one.
 */
export const RECORDED_PATHS: Record<string, (h: Harness) => Promise<Recorded>> = {
  'sendSms-delivered': (h) => sms(h, 'delivered', { providers: { every8d: { pushes: 'delivered' } } }),
  'sendSms-failover': (h) =>
    sms(h, 'failover', {
      providers: {
        every8d: { fails: { type: 'ProviderUnavailable', code: '-2' } },
        mitake: { fails: { type: 'ProviderTransient', code: 'http_503' } },
        twilio: { pushes: 'delivered' },
      },
    }),
  'sendSms-rejected': (h) => sms(h, 'rejected', { providers: { every8d: { fails: { type: 'MessageRejected', code: '-8' } } } }),
  'sendSms-no-provider': (h) => sms(h, 'no-provider', { plan: { route: [] } }),
  'sendSms-receipt-timeout': (h) => sms(h, 'receipt-timeout', { plan: { receiptTimeoutMs: 1_000 } }),
  // After patch `sms-late-receipt-while-expiring`: a receipt that reaches the workflow while markFinal records the expiry.
  'sendSms-late-receipt-while-expiring': async (h) => {
    const { handle } = await receiptWhileExpiryIsRecorded(h, 'rec-late-while-expiring');
    return finished('sendSms-late-receipt-while-expiring', handle);
  },
  // After patch `sms-cancel-lost-to-recorded-send`: a cancel stopped a call that had got through; refused, then delivered.
  'sendSms-cancel-lost-to-recorded-send': async (h) =>
    finished('sendSms-cancel-lost-to-recorded-send', (await cancelWhileRecordedSendIsLost(h, 'rec-cancel-lost')).handle),
  // After patch `sms-quiet-hours-at-send`: the provider call found quiet hours; waited, then the same provider.
  'sendSms-quiet-hours-at-send': (h) => sms(h, 'quiet-hours-at-send', { providers: { every8d: { quietForMs: 1_000, pushes: 'delivered' } } }),
  'sendSms-rerouted': (h) =>
    sms(h, 'rerouted', { plan: { rerouteOnUndelivered: true }, providers: { every8d: { pushes: 'undelivered' }, mitake: { pushes: 'delivered' } } }),
  'sendSms-polled': (h) => sms(h, 'polled', { plan: { route: ['mitake'], pollingProviders: ['mitake'] }, providers: { mitake: { polls: 'delivered' } } }),
  'sendSms-ab-test': (h) => sms(h, 'ab-test', { plan: { abTestTemplate: 'promo' }, providers: { every8d: { pushes: 'delivered' } } }),

  // Two runs of the batch (the first ends in continue-as-new, the last starts from carried state and completes),
  // and one child, whose history alone holds the slot-release signal to its parent.
  'bulkSms-pages': async (h) => {
    const handle = await startBatch(h, delivered({ total: 3, pageSize: 2 }), 'rec-pages');
    await handle.result();
    const child = h.client.workflow.getHandle(workflowIdFor(batchMessageIds('rec-pages', 0, 1)[0]));
    await child.result();
    return {
      'bulkSms-continued-as-new': h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId),
      'bulkSms-last-page': handle,
      'sendSms-batch-child': child,
    };
  },
  // Since PAGE_SEND_PLAN: the page plans its route once and its children start with it (no prepareSend marker).
  'bulkSms-page-plan': async (h) => {
    const handle = await startBatch(h, delivered({ total: 2, pageSize: 2 }), 'rec-page-plan');
    await handle.result();
    const child = h.client.workflow.getHandle(workflowIdFor(batchMessageIds('rec-page-plan', 0, 1)[0]));
    await child.result();
    return { 'bulkSms-page-plan': handle, 'sendSms-planned-child': child };
  },
  // Since PREPARE_NEXT_PAGE: the first run prepares page two while its children start and hands it over.
  'bulkSms-prepared-pages': async (h) => {
    const handle = await startBatch(h, delivered({ total: 3, pageSize: 2 }), 'rec-prepared');
    await handle.result();
    return {
      'bulkSms-prepares-next-page': h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId),
      'bulkSms-carried-page': handle,
    };
  },
  'bulkSms-paused-resumed': async (h) => {
    h.fake.holdSends();
    const handle = await startBatch(h, delivered({ total: 2, window: 1 }), 'rec-paused');
    await h.fake.waitForCalls('sendViaProvider', 1);
    await handle.signal(pauseSignal);
    await h.fake.waitForCalls('setBatchStatus', 2);
    h.fake.releaseSends();
    await until(
      () => handle.query(progressQuery),
      (p) => p.inFlight === 0,
    );
    await handle.signal(resumeSignal);
    return finished('bulkSms-paused-resumed', handle);
  },
  'bulkSms-cancelled': async (h) => {
    h.fake.holdSends();
    const handle = await startBatch(h, delivered({ total: 2, window: 1 }), 'rec-cancelled');
    await h.fake.waitForCalls('sendViaProvider', 1);
    await handle.signal(cancelSignal);
    h.fake.releaseSends(); // since bulk-cancel-in-flight the batch waits for its child's answer to the cancel
    return finished('bulkSms-cancelled', handle);
  },
  // After patch `bulk-cancel-in-flight`: the cancelled batch asks its started children to stop. One had its call
  // queued (cancelled, the call never ran); one was in its call when asked (refused once the provider accepted).
  'bulkSms-cancelled-in-flight': async (h) => {
    const { handle, inCalls, queued } = await batchWithQueuedCalls(h, delivered({}), 'rec-cancelled-in-flight');
    await handle.signal(cancelSignal);
    await h.fake.waitForCalls('markCancelled', queued.length);
    h.fake.releaseSends();
    return {
      ...(await finished('bulkSms-cancelled-in-flight', handle)),
      ...(await finished('sendSms-cancelled-in-queue', h.client.workflow.getHandle(workflowIdFor(queued[0])))),
      ...(await finished('sendSms-cancel-refused-after-accept', h.client.workflow.getHandle(workflowIdFor(inCalls[0])))),
    };
  },
  // After patch `bulk-cancel-unstarted`: the rest of the page and the page prepared ahead are cancelled too.
  'bulkSms-cancelled-unstarted': async (h) => {
    h.fake.holdSends();
    const handle = await startBatch(h, delivered({ total: 5, pageSize: 2, window: 1 }), 'rec-cancelled-unstarted');
    await h.fake.waitForCalls('sendViaProvider', 1);
    await h.fake.waitForCalls('prepareBatchPage', 2);
    await handle.signal(cancelSignal);
    h.fake.releaseSends(); // as in bulkSms-cancelled
    return finished('bulkSms-cancelled-unstarted', handle);
  },
  // A cancel while the run waits for its next page is handed on: the next run starts cancelled and only ends.
  'bulkSms-cancel-handed-on': async (h) => {
    const handle = await signalWhileNextPageIsPrepared(h, delivered({ total: 4, pageSize: 2 }), 'rec-cancel-handed-on', cancelSignal);
    await handle.result();
    return {
      'bulkSms-cancel-handed-over': h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId),
      'bulkSms-starts-cancelled': handle,
    };
  },
  'bulkSms-scheduled-cancelled': async (h) => {
    const handle = await startBatch(h, delivered({ scheduledAtMs: Date.now() + 3_600_000 }), 'rec-scheduled');
    await until(
      () => handle.query(progressQuery),
      (p) => p.status === 'scheduled',
    );
    await handle.signal(cancelSignal);
    return finished('bulkSms-scheduled-cancelled', handle);
  },
  'bulkSms-quiet-hours': async (h) => {
    const openAt = Date.now() + 3_600_000;
    const handle = await startBatch(h, { ...delivered({ respectQuietHours: true }), quietGate: () => ({ openAt, closeAt: openAt + 3_600_000 }) }, 'rec-quiet');
    await until(
      () => handle.query(progressQuery),
      (p) => p.status === 'waiting_for_allowed_hours',
    );
    await handle.signal(cancelSignal);
    return finished('bulkSms-quiet-hours', handle);
  },
  // After patch `bulk-pause-after-waits`: a quiet-hours wait that ends while paused starts nothing until the resume.
  'bulkSms-paused-in-quiet-hours': async (h) => {
    // The pause must land while the batch waits: 5 s leaves room for a slow machine to get there first.
    const openAt = Date.now() + 5_000;
    const handle = await startBatch(
      h,
      { ...delivered({ total: 1, respectQuietHours: true }), quietGate: () => ({ openAt, closeAt: openAt + 3_600_000 }) },
      'rec-paused-quiet',
    );
    await until(
      () => handle.query(progressQuery),
      (p) => p.status === 'waiting_for_allowed_hours',
    );
    await handle.signal(pauseSignal);
    await h.fake.waitForCalls('setBatchStatus', 2);
    await handle.signal(resumeSignal);
    return finished('bulkSms-paused-in-quiet-hours', handle);
  },
  // A pause while the run waits for its next page: the next run records it (it is handed `reportedPaused`).
  'bulkSms-pause-handed-on': async (h) => {
    const handle = await signalWhileNextPageIsPrepared(h, delivered({ total: 4, pageSize: 2 }), 'rec-pause-handed-on', pauseSignal);
    await h.fake.waitForCalls('setBatchStatus', 2);
    await handle.signal(resumeSignal);
    await handle.result();
    return {
      'bulkSms-pause-handed-over': h.client.workflow.getHandle(handle.workflowId, handle.firstExecutionRunId),
      'bulkSms-records-handed-pause': handle,
    };
  },
  'bulkSms-already-started': async (h) => {
    const [first] = batchMessageIds('rec-started', 0, 1);
    await h.client.workflow.start(sendSmsWorkflow, { workflowId: workflowIdFor(first), taskQueue: `${SMS_TASK_QUEUE}-nobody`, args: [{ messageId: first }] });
    return finished('bulkSms-already-started', await startBatch(h, delivered({ total: 2 }), 'rec-started'));
  },

  // After patches `sms-send-records-itself` and `bulk-concurrent-child-starts` (the histories above are from before).
  'sendSms-records-itself': async (h) => ({
    ...(await sms(h, 'records-itself-delivered', { providers: { every8d: { pushes: 'delivered' } } })),
    ...(await sms(h, 'records-itself-early-receipt', { providers: { every8d: { early: 'delivered' } } })),
  }),
  // After patch `sms-scheduled-send`, and the cancel update / valid_until checks (no patch: they act only on new input).
  'sendSms-scheduled': async (h) => {
    const delivered = await finished(
      'sendSms-scheduled-delivered',
      await startSms(h, { providers: { every8d: { pushes: 'delivered' } } }, 'rec-scheduled-delivered', { sendAtMs: Date.now() + 1_000 }),
    );
    const expired = await finished('sendSms-validity-ended', await startSms(h, {}, 'rec-validity-ended', { validUntilMs: Date.now() - 1 }));
    const waiting = await startSms(h, {}, 'rec-scheduled-cancelled', { sendAtMs: Date.now() + 3_600_000 });
    await h.fake.waitForCalls('admitScheduled', 1);
    await waiting.executeUpdate(cancelMessageUpdate);
    return { ...delivered, ...expired, ...(await finished('sendSms-scheduled-cancelled', waiting)) };
  },
  'bulkSms-concurrent-starts': async (h) => {
    const handle = await startBatch(h, delivered({ total: 3, pageSize: 3 }), 'rec-concurrent');
    await handle.result();
    const child = h.client.workflow.getHandle(workflowIdFor(batchMessageIds('rec-concurrent', 0, 1)[0]));
    await child.result();
    return { 'bulkSms-concurrent-starts': handle, 'sendSms-batch-child-records-itself': child };
  },

  'campaignRun-started-batch': async (h) => {
    h.fake.reset({ campaignBatch: { batchId: 'rec-campaign', messageType: 'marketing' }, ...delivered({ total: 1 }) });
    const run = await h.client.workflow.start(campaignRunWorkflow, {
      workflowId: 'campaign-spring-run',
      taskQueue: SMS_TASK_QUEUE,
      args: [{ campaignId: 'spring' }],
    });
    await run.result();
    await h.client.workflow.getHandle(bulkWorkflowId('rec-campaign')).result();
    return { 'campaignRun-started-batch': run };
  },
  // After patch `campaign-run-joins-started-batch`: the campaign's pause started the run's batch first.
  'campaignRun-joins-started-batch': async (h) => {
    h.fake.reset({ campaignBatch: { batchId: 'rec-campaign-joined', messageType: 'marketing' }, ...delivered({ total: 1 }) });
    const batch = await pauseBeforeTheRunStartsIt(h, 'rec-campaign-joined');
    const run = await h.client.workflow.start(campaignRunWorkflow, {
      workflowId: 'campaign-paused-run',
      taskQueue: SMS_TASK_QUEUE,
      args: [{ campaignId: 'paused' }],
    });
    await run.result();
    await batch.signal(resumeSignal);
    await batch.result();
    return { 'campaignRun-joins-started-batch': run };
  },
  'campaignRun-no-batch': async (h) => {
    h.fake.reset({ campaignBatch: null });
    return finished(
      'campaignRun-no-batch',
      await h.client.workflow.start(campaignRunWorkflow, { workflowId: 'campaign-ended-run', taskQueue: SMS_TASK_QUEUE, args: [{ campaignId: 'ended' }] }),
    );
  },
  'retention-two-days': async (h) => {
    h.fake.reset({});
    return finished(
      'retention-two-days',
      await h.client.workflow.start(retentionWorkflow, { workflowId: 'retention-run', taskQueue: SMS_TASK_QUEUE, args: [{}] }),
    );
  },
  'lateReceipt-applied': async (h) => {
    h.fake.reset({});
    const report = {
      provider: 'twilio' as const,
      providerMessageId: 'SM-late',
      outcome: 'delivered' as const,
      providerStatus: 'delivered',
      receivedAt: '2026-12-05T00:00:00.000Z',
    };
    return finished(
      'lateReceipt-applied',
      await h.client.workflow.start(lateReceiptWorkflow, {
        workflowId: 'late-receipt-rec',
        taskQueue: SMS_TASK_QUEUE,
        args: [{ messageId: 'rec-late', report }],
      }),
    );
  },
  'statusCallback-retried-delivered': (h) => callback(h, 'retried-delivered', [500, 500, 200]),
  'statusCallback-refused': (h) => callback(h, 'refused', [400]),
  // One order each: events out of order, a reminder taken back or sent, a cancellation, and continue-as-new.
  'orderNotifications-delivery': async (h) => {
    h.fake.reset({});
    const options = { lingerMs: 1_000 };
    h.fake.holdSends();
    await postEvent(h, 'rec-delivery', 'confirmed', at(0), { options });
    await postEvent(h, 'rec-delivery', 'arrived', at(30), { options }); // waits behind the confirmation…
    await postEvent(h, 'rec-delivery', 'completed', at(35), { options }); // …and is taken back
    h.fake.releaseSends();
    await h.fake.waitForCalls('sendOrderText', 2);
    await postEvent(h, 'rec-delivery', 'driver_departed', at(10), { options }); // superseded
    return finished('orderNotifications-delivery', orderHandle(h, 'rec-delivery'));
  },
  'orderNotifications-reminder-paid': async (h) => {
    h.fake.reset({});
    const options = { lingerMs: 1_000 };
    await postEvent(h, 'rec-paid', 'payment_due', at(0), { options, dueAt: new Date(Date.now() + 3_600_000).toISOString() });
    await postEvent(h, 'rec-paid', 'paid', at(1), { options });
    await postEvent(h, 'rec-paid', 'completed', at(2), { options });
    return finished('orderNotifications-reminder-paid', orderHandle(h, 'rec-paid'));
  },
  'orderNotifications-reminder-sent': async (h) => {
    h.fake.reset({});
    const options = { lingerMs: 1_000 };
    await postEvent(h, 'rec-reminded', 'payment_due', at(0), { options, dueAt: new Date(Date.now() + 1_000).toISOString() });
    await h.fake.waitForCalls('sendOrderText', 1);
    await postEvent(h, 'rec-reminded', 'paid', at(1), { options });
    await postEvent(h, 'rec-reminded', 'completed', at(2), { options });
    return finished('orderNotifications-reminder-sent', orderHandle(h, 'rec-reminded'));
  },
  'orderNotifications-cancelled': async (h) => {
    h.fake.reset({ refusedOrderTexts: { order_confirmation: 'validation_failed' } });
    const options = { lingerMs: 5_000 }; // long enough for the last event to arrive after the cancellation
    await postEvent(h, 'rec-cancelled', 'confirmed', at(0), { options });
    await postEvent(h, 'rec-cancelled', 'payment_due', at(1), { options, dueAt: new Date(Date.now() + 3_600_000).toISOString() });
    await postEvent(h, 'rec-cancelled', 'cancelled', at(2), { options });
    await postEvent(h, 'rec-cancelled', 'arrived', at(3), { options });
    return finished('orderNotifications-cancelled', orderHandle(h, 'rec-cancelled'));
  },
  // Handed texts asked back when the order is cancelled: the confirmation in time, the reminder too late.
  'orderNotifications-recalled': async (h) => {
    h.fake.reset({ recallableOrderTexts: ['order_confirmation'] });
    const options = { lingerMs: 1_000 };
    await postEvent(h, 'rec-recalled', 'confirmed', at(0), { options });
    await postEvent(h, 'rec-recalled', 'payment_due', at(1), { options });
    await h.fake.waitForCalls('sendOrderText', 2);
    await until(
      () => timelineOf(h, 'rec-recalled'),
      (t) => t.texts.every((x) => x.state === 'accepted'),
    );
    await postEvent(h, 'rec-recalled', 'cancelled', at(2), { options });
    return finished('orderNotifications-recalled', orderHandle(h, 'rec-recalled'));
  },
  // An owned order: the owner's events, one refused from another key (not in history), an admin's.
  'orderNotifications-owned': async (h) => {
    h.fake.reset({});
    const options = { lingerMs: 1_000 };
    await postEvent(h, 'rec-owned', 'confirmed', at(0), { options, sender: 'key-owner' });
    await postEvent(h, 'rec-owned', 'arrived', at(20), { options, sender: 'key-other' }).catch(() => undefined);
    await postEvent(h, 'rec-owned', 'driver_departed', at(10), { options });
    await postEvent(h, 'rec-owned', 'completed', at(30), { options, sender: 'key-owner' });
    return finished('orderNotifications-owned', orderHandle(h, 'rec-owned'));
  },
  'orderNotifications-continued-as-new': async (h) => {
    h.fake.reset({});
    const options = { lingerMs: 1_000, historyLimit: 20 };
    const order = orderHandle(h, 'rec-long');
    for (let i = 0; i < 6; i++) await postEvent(h, 'rec-long', 'confirmed', at(i), { options });
    const firstRun = await until(
      async () => {
        for await (const run of h.client.workflow.list({ query: `WorkflowId="${order.workflowId}"` }))
          if (run.status.name === 'CONTINUED_AS_NEW') return run.runId;
        return undefined;
      },
      (runId) => runId !== undefined,
    );
    await postEvent(h, 'rec-long', 'completed', at(30), { options });
    await order.result();
    return { 'orderNotifications-continued-as-new': h.client.workflow.getHandle(order.workflowId, firstRun), 'orderNotifications-after-continue': order };
  },
  'alerts-evaluated': async (h) => {
    h.fake.reset({ alerts: { opened: ['delivery_rate_low'], resolved: [] } });
    return finished('alerts-evaluated', await h.client.workflow.start(alertsWorkflow, { workflowId: 'alerts-run', taskQueue: SMS_TASK_QUEUE }));
  },
  'balances-refreshed': async (h) => {
    h.fake.reset({ balances: { every8d: 812, mitake: 'timeout' } });
    return finished('balances-refreshed', await h.client.workflow.start(balanceRefreshWorkflow, { workflowId: 'balances-run', taskQueue: SMS_TASK_QUEUE }));
  },
  workerWarmUp: async (h) =>
    finished('workerWarmUp', await h.client.workflow.start(workerWarmUpWorkflow, { workflowId: 'warm-up-run', taskQueue: SMS_TASK_QUEUE })),
  // No provider has the credit: the plan's empty route says why (no patch: the same commands as sendSms-no-provider).
  'sendSms-no-credit': async (h) =>
    sms(h, 'no-credit', { plan: { route: [], unroutable: { code: 'insufficient_balance', message: 'no provider has the prepaid credit' } } }),
};

const delivered = (batch: Scenario['batch']): Scenario => ({ batch, providers: { every8d: { pushes: 'delivered' } } });

async function finished(name: string, handle: WorkflowHandle): Promise<Recorded> {
  await handle.result();
  return { [name]: handle };
}

async function callback(h: Harness, path: string, answers: number[]): Promise<Recorded> {
  h.fake.reset({ callbackAnswers: answers });
  const input: StatusCallbackInput = {
    callbackId: statusCallbackId(`rec-${path}`, 1),
    url: 'https://orders.example.com/sms/status',
    keyId: 'key_recorded',
    payload: {
      message_id: `rec-${path}`,
      sequence: 1,
      status: 'delivered',
      previous_status: 'sent',
      provider: 'every8d',
      provider_message_id: 'e8d-1',
      error: null,
      occurred_at: '2026-11-27T00:00:00.000Z',
      reference: null,
    },
  };
  return finished(
    `statusCallback-${path}`,
    await h.client.workflow.start(statusCallbackWorkflow, { workflowId: input.callbackId, taskQueue: SMS_TASK_QUEUE, args: [input] }),
  );
}

async function sms(h: Harness, path: string, scenario: Scenario): Promise<Recorded> {
  return finished(`sendSms-${path}`, await startSms(h, scenario, `rec-${path}`));
}
