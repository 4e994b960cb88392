import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { ParentClosePolicy, condition, continueAsNew, patched, proxyActivities, setHandler, startChild, upsertSearchAttributes } from '@temporalio/workflow';
import type { BatchPlan, BulkActivities, QuietGate, SendPlan } from '../activities/types';
import { workflowIdFor } from '../domain/sms';
import { SmsBatchIdKey, SmsMessageTypeKey, SmsStatusKey } from '../temporal/searchAttributes';
import { sendSmsWorkflow, type SendSmsInput } from './sendSms';
import { cancelSignal, pauseSignal, progressQuery, resumeSignal, slotReleasedSignal } from './signals';

export interface BulkSmsInput {
  batchId: string;
  /** Carried across continue-as-new: the next recipient to start, and children still holding a window slot. */
  nextIndex?: number;
  inFlight?: string[];
  paused?: boolean;
  started?: boolean;
  /** A cancel that came while the previous run was handing over (waiting for the next page): this run only ends. */
  cancelled?: boolean;
  /** What the batch document says (paused or not), when it differs from `paused`: a change not yet recorded. */
  reportedPaused?: boolean;
  /**
   * Handed over by the previous run (PREPARE_NEXT_PAGE): the batch's plan, the page it prepared while its own
   * children were starting, and its route plan; the new run starts sending in its first workflow task.
   */
  carried?: { plan: BatchPlan; messageIds: string[]; sendPlan?: TimedSendPlan };
}

interface TimedSendPlan {
  plan: SendPlan;
  /** Workflow time it was planned (epoch ms). */
  at: number;
}

export interface BulkProgress {
  status: 'scheduled' | 'running' | 'paused' | 'waiting_for_allowed_hours' | 'cancelled' | 'completed';
  started: number;
  total: number;
  inFlight: number;
  /** When a quiet-hours wait ends (ISO), while waiting. */
  resumesAt?: string;
}

export const bulkWorkflowId = (batchId: string): string => `bulk-${batchId}`;

const activities = proxyActivities<BulkActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Patch id (a batch runs for hours: a running one replays the path it took, see test/replay). Children of a page
 * are started without waiting for each start to be confirmed, so one workflow task carries many start commands;
 * before it, every start cost the batch a workflow task of its own. Children also run at low task priority, so
 * single sends (order confirmations) overtake a campaign's backlog in the task queues.
 */
export const CONCURRENT_CHILD_STARTS = 'bulk-concurrent-child-starts';

/**
 * Patch id: each page's route is planned once by `planPageSends` and handed to its children, which then skip their
 * own planning step (a local activity and its reads per message). Before it, every child planned for itself.
 */
export const PAGE_SEND_PLAN = 'bulk-page-send-plan';

/**
 * Patch id: each run prepares the next page while its own children are starting and hands it, with the batch plan
 * and the route plan, to the next run. Before it, a new run began with three activities in a row (plan, page,
 * route), during which no child started: a pause of seconds at every page on a loaded store.
 */
export const PREPARE_NEXT_PAGE = 'bulk-prepare-next-page';

/**
 * Patch id: a cancelled batch also cancels the messages it had prepared and not started (the rest of its page and
 * the next page). Before it, they stayed `queued` for ever: no workflow, no final status, no callback.
 */
export const CANCEL_UNSTARTED = 'bulk-cancel-unstarted';

/**
 * Patch id: a cancelled batch also takes back the messages it started that no provider has yet (those holding a
 * window slot: mostly waiting in the provider queues behind the rate limit). Before it they were all sent after the
 * cancel, up to a window's worth.
 */
export const CANCEL_IN_FLIGHT = 'bulk-cancel-in-flight';

/**
 * Patch id: a pause that comes while the batch waits for allowed hours or plans a page's route holds the next start
 * too. Before it, that one message was started after the wait although the batch was paused.
 */
export const PAUSE_AFTER_WAITS = 'bulk-pause-after-waits';

/** How long a page's route plan serves its children before it is planned again. */
const SEND_PLAN_MAX_AGE_MS = 60_000;

/** Task priority of batch messages (1 = first … 5 = last; single sends have the default 3). */
export const BATCH_PRIORITY = 5;

/** Longest single wait, so an operator's change to quiet hours is noticed within this long. */
const MAX_WAIT_MS = 5 * 60_000;

/**
 * One bulk batch. Recipients stay in MongoDB; each page of them becomes child `sendSmsWorkflow`s (ABANDON, so a
 * child outlives a cancelled batch) under a sliding window of sends in progress, and the workflow continues as new
 * after every page so no history grows past a few thousand events. Signals pause, resume and cancel it.
 */
export async function bulkSmsWorkflow(input: BulkSmsInput): Promise<BulkProgress> {
  const { batchId } = input;
  const inFlight = new Set(input.inFlight ?? []);
  const state = {
    nextIndex: input.nextIndex ?? 0,
    paused: input.paused ?? false,
    started: input.started ?? false,
    cancelled: input.cancelled ?? false,
    completed: false,
    resumesAt: undefined as number | undefined,
  };
  const plan = input.carried?.plan ?? (await activities.planBatch({ batchId }));

  const status = (): BulkProgress['status'] => {
    if (state.cancelled) return 'cancelled';
    if (state.completed) return 'completed';
    if (!state.started) return 'scheduled';
    // Paused during a quiet-hours wait: it still starts nothing once the wait ends, so say paused now.
    if (state.paused) return 'paused';
    return state.resumesAt ? 'waiting_for_allowed_hours' : 'running';
  };
  const progress = (): BulkProgress => ({
    status: status(),
    started: state.nextIndex,
    total: plan.total,
    inFlight: inFlight.size,
    ...(state.resumesAt ? { resumesAt: new Date(state.resumesAt).toISOString() } : {}),
  });
  setHandler(progressQuery, progress);
  setHandler(slotReleasedSignal, (messageId) => void inFlight.delete(messageId));
  setHandler(cancelSignal, () => void (state.cancelled = true));
  setHandler(pauseSignal, () => void (state.paused = true));
  setHandler(resumeSignal, () => void (state.paused = false));

  /** Cancelled: the children still holding a slot are asked to stop first (each decides, see SendGate). */
  const takeBackInFlight = async () => {
    if (inFlight.size > 0 && patched(CANCEL_IN_FLIGHT)) await activities.cancelInFlight({ batchId, messageIds: [...inFlight] });
  };

  const finish = async (status: 'cancelled' | 'completed'): Promise<BulkProgress> => {
    await activities.setBatchStatus({ batchId, status });
    upsertSearchAttributes([{ key: SmsStatusKey, value: status }]);
    // Only what the result and the progress query say (no command changes, so no patch): a finished batch said
    // `running` before.
    state.completed = status === 'completed';
    return progress();
  };

  if (!state.started) {
    // Scheduled batches wait on a durable timer; a cancel before the start ends them without sending anything.
    const delay = (plan.scheduledAtMs ?? 0) - Date.now();
    if (delay > 0) await condition(() => state.cancelled, delay);
    if (state.cancelled) return finish('cancelled');
    state.started = true;
    await activities.setBatchStatus({ batchId, status: 'running' });
    upsertSearchAttributes([{ key: SmsStatusKey, value: 'running' }]);
  }

  let gate: QuietGate | undefined;
  const waitForAllowedHours = async () => {
    while (!state.cancelled) {
      if (!gate || Date.now() >= gate.closeAt) gate = await activities.quietGate({});
      if (Date.now() >= gate.openAt) return;
      state.resumesAt = gate.openAt;
      await condition(() => state.cancelled, Math.min(gate.openAt - Date.now(), MAX_WAIT_MS));
      state.resumesAt = undefined;
      gate = undefined; // re-read: the windows may have been changed meanwhile
    }
  };

  const pageStart = state.nextIndex;
  const messageIds = input.carried?.messageIds ?? (await activities.prepareBatchPage({ batchId, fromIndex: pageStart, limit: plan.pageSize }));
  const pageEnd = pageStart + messageIds.length;
  // A run that starts cancelled (input.cancelled, which histories before it never have) prepares nothing more.
  const nextPage =
    pageEnd < plan.total && !input.cancelled && patched(PREPARE_NEXT_PAGE)
      ? activities.prepareBatchPage({ batchId, fromIndex: pageEnd, limit: plan.pageSize })
      : undefined;
  nextPage?.catch(() => undefined); // awaited before continuing as new; a cancelled batch never needs it
  // Planned for the children about to start, and again once a plan is a minute old (a pause or quiet hours).
  const plansPages = patched(PAGE_SEND_PLAN);
  let sendPlan: TimedSendPlan | undefined = input.carried?.sendPlan;
  const currentSendPlan = async (): Promise<SendPlan | undefined> => {
    if (!plansPages) return undefined;
    if (!sendPlan || Date.now() - sendPlan.at > SEND_PLAN_MAX_AGE_MS) sendPlan = { plan: await activities.planPageSends({ batchId }), at: Date.now() };
    return sendPlan.plan;
  };
  // What the batch document says: a pause signalled before this point still has to be recorded.
  let reportedPaused = input.reportedPaused ?? input.paused ?? false;
  const reportPause = async () => {
    if (reportedPaused === state.paused || state.cancelled) return;
    reportedPaused = state.paused;
    await activities.setBatchStatus({ batchId, status: state.paused ? 'paused' : 'running' });
  };
  const mayStart = () => state.cancelled || (!state.paused && inFlight.size < plan.window);
  const concurrent = patched(CONCURRENT_CHILD_STARTS);
  const starts: Promise<void>[] = [];
  for (const messageId of messageIds) {
    let routed: SendPlan | undefined;
    for (;;) {
      // Wait for a free slot while not paused, recording pause changes in the batch as they happen.
      while (!mayStart()) {
        await reportPause();
        await condition(() => mayStart() || state.paused !== reportedPaused);
      }
      await reportPause();
      if (state.cancelled) break;
      if (plan.respectQuietHours) await waitForAllowedHours();
      if (state.cancelled) break;
      routed = await currentSendPlan();
      // Paused during those waits: back to waiting for a resume (asked only then, so only such histories get a marker).
      if (state.cancelled || !state.paused || !patched(PAUSE_AFTER_WAITS)) break;
    }
    if (state.cancelled) break;
    // Counted before the start: a quick child's release can reach us in the same activation as its start.
    inFlight.add(messageId);
    const started = startMessage({ messageId, ...(routed ? { plan: routed } : {}) }, batchId, plan, concurrent).then(
      (ok) => void (ok || inFlight.delete(messageId)),
    );
    if (concurrent) starts.push(started);
    else await started;
    state.nextIndex += 1;
  }
  // Every start confirmed (or found already done) before the batch records its end or continues as new.
  await Promise.all(starts);
  if (state.cancelled) {
    await takeBackInFlight();
    if (patched(CANCEL_UNSTARTED)) {
      const unstarted = [...messageIds.slice(state.nextIndex - pageStart), ...((await nextPage?.catch(() => [])) ?? [])];
      if (unstarted.length > 0) await activities.cancelUnstarted({ batchId, messageIds: unstarted });
    }
    return finish('cancelled');
  }
  if (state.nextIndex < plan.total) {
    // Only a page that started every child hands over the page after it.
    const carried = nextPage && state.nextIndex === pageEnd ? { plan, messageIds: await nextPage, ...(sendPlan ? { sendPlan } : {}) } : undefined;
    await continueAsNew<typeof bulkSmsWorkflow>({
      batchId,
      nextIndex: state.nextIndex,
      inFlight: [...inFlight],
      paused: state.paused,
      ...(reportedPaused !== state.paused ? { reportedPaused } : {}),
      started: true,
      // A cancel signalled while this run waited for its next page is this run's to hand on: the signal is spent.
      ...(state.cancelled ? { cancelled: true } : {}),
      ...(carried ? { carried } : {}),
    });
  }
  // Everyone started: the batch is dispatched once the last child left the provider stage.
  await condition(() => inFlight.size === 0 || state.cancelled);
  if (state.cancelled) await takeBackInFlight();
  return finish(state.cancelled ? 'cancelled' : 'completed');
}

/** Starts one child; false when it already existed (its slot is then not ours to wait for). */
async function startMessage(input: SendSmsInput, batchId: string, plan: BatchPlan, lowPriority: boolean): Promise<boolean> {
  try {
    await startChild(sendSmsWorkflow, {
      ...(lowPriority ? { priority: { priorityKey: BATCH_PRIORITY } } : {}),
      workflowId: workflowIdFor(input.messageId),
      args: [input],
      parentClosePolicy: ParentClosePolicy.ABANDON,
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: SmsStatusKey, value: 'queued' },
        { key: SmsBatchIdKey, value: batchId },
        { key: SmsMessageTypeKey, value: plan.messageType },
      ],
    });
    return true;
  } catch (err) {
    // Started before (e.g. by hand): sending it again is exactly what must not happen, so move on.
    if (err instanceof WorkflowExecutionAlreadyStartedError) return false;
    throw err;
  }
}
