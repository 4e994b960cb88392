import {
  ActivityCancellationType,
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  getExternalWorkflowHandle,
  isCancellation,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { BookkeepingActivities, ProviderAccepted, ProviderActivities, SendPlan } from '../activities/types';
import { FAILURE } from '../domain/failureTypes';
import { RECEIPT_TIMEOUT } from '../domain/lateReceipts';
import { exhaustedRouteReason } from '../domain/routing';
import { providerTaskQueue, type DeliveryReport, type ProviderName, type SmsStatus } from '../domain/sms';
import { SmsProviderKey, SmsStatusKey } from '../temporal/searchAttributes';
import { SendGate } from './sendGate';
import { deliveryReportSignal, slotReleasedSignal, statusQuery } from './signals';

export interface SendSmsInput {
  /** Only the id travels through Temporal: phone and body stay in MongoDB, out of workflow histories. */
  messageId: string;
  /** Epoch ms to hold the message until (the caller's `scheduled_at`, or the end of quiet hours). */
  sendAtMs?: number;
  /** Epoch ms from which no provider may be given the message (the caller's `valid_until`): it expires instead. */
  validUntilMs?: number;
  /**
   * The route and policy, when whoever started the workflow planned them already: a batch page plans once for all
   * its messages (one read of providers and usage, no planning step per message), and intake plans a message it
   * starts at once while storing it. Otherwise the workflow plans with `prepareSend`. The send activity checks the
   * provider again just before sending, and the message's first change counts it in the figures (no `admit`).
   */
  plan?: SendPlan;
}

export interface SendSmsResult {
  status: SmsStatus;
  provider?: ProviderName;
  reason?: string;
}

export interface SmsWorkflowState {
  status: SmsStatus;
  provider?: ProviderName;
  providerMessageId?: string;
  failedProviders: { provider: ProviderName; code: string }[];
}

/**
 * Patch ids (workflows run for a day: a running one replays the path it took, see test/replay).
 * SEND_RECORDS_ITSELF: one provider activity `sendAndRecord` sends, records the acceptance, hands back an early
 * receipt and frees the batch slot; before it, `sendViaProvider` + local `recordSent` + a signal from here (two
 * more workflow tasks per message).
 */
export const SEND_RECORDS_ITSELF = 'sms-send-records-itself';
/**
 * SCHEDULED_SEND: a message with `sendAtMs` is counted as `scheduled` and held by a timer in the workflow (which
 * can take a cancel meanwhile); before it, such messages were held by a Temporal start delay.
 */
export const SCHEDULED_SEND = 'sms-scheduled-send';

/**
 * LATE_RECEIPT_WHILE_EXPIRING: a receipt that reaches the workflow while `markFinal` records the expiry is applied
 * (`recordReceipt` after `markFinal`); before it, the workflow ended `expired` with the receipt unread.
 */
export const LATE_RECEIPT_WHILE_EXPIRING = 'sms-late-receipt-while-expiring';

/**
 * CANCEL_LOST_TO_RECORDED_SEND: a cancel that stopped a provider call which had in fact got through (its worker
 * recorded the acceptance, then died before reporting it) is refused, and the workflow waits for the receipt;
 * before it, the workflow ended `cancelled` while the message stayed `sent` for ever. Asked only on that path.
 */
export const CANCEL_LOST_TO_RECORDED_SEND = 'sms-cancel-lost-to-recorded-send';

/**
 * QUIET_HOURS_AT_SEND: a marketing message the provider activity finds in quiet hours waits (a durable timer a
 * cancel ends) and then tries the same provider again; before it there was no such check at send time. Asked only
 * on that path.
 */
export const QUIET_HOURS_AT_SEND = 'sms-quiet-hours-at-send';

/** Error types raised by provider activities (one list: domain/failureTypes.ts). */
export const MESSAGE_REJECTED = FAILURE.messageRejected;
export const PROVIDER_UNAVAILABLE = FAILURE.providerUnavailable;
const QUIET_HOURS = FAILURE.quietHours;

/** Longest quiet-hours wait before the provider call checks the windows again (an operator may have changed them). */
const QUIET_RECHECK_MS = 30 * 60_000;

// Bookkeeping writes are short MongoDB calls: local activities (run by this worker, recorded as markers) cost
// the server a fraction of a regular activity. They must land eventually, so they retry without limit.
// Also lateReceiptWorkflow's.
export const BOOKKEEPING_OPTIONS = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
} as const;
const bookkeeping = proxyLocalActivities<BookkeepingActivities>(BOOKKEEPING_OPTIONS);

/** Transient provider errors are retried with back-off; a rejected message or an unavailable provider is not. */
const providerRetry = (plan: SendPlan) => ({
  initialInterval: '2 seconds',
  backoffCoefficient: 2,
  maximumInterval: '30 seconds',
  maximumAttempts: plan.attemptsPerProvider,
  nonRetryableErrorTypes: [MESSAGE_REJECTED, PROVIDER_UNAVAILABLE],
});

/** Provider calls run on the provider's own task queue, whose worker holds the provider's rate limit. */
function providerActivities(provider: ProviderName, plan: SendPlan) {
  return proxyActivities<ProviderActivities>({
    taskQueue: providerTaskQueue(provider),
    // The adapter aborts its HTTP call at sendTimeoutMs; this is the backstop for a worker that died mid-call.
    startToCloseTimeout: plan.sendTimeoutMs + 10_000,
    retry: providerRetry(plan),
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED, // see SendGate.providerCall
  });
}

/**
 * `sendAndRecord` does database work after the provider call, which a loaded database can make slow: a heartbeat
 * timeout (the activity beats every 3 s while it runs) detects a dead worker quickly, and the longer start-to-close
 * keeps a slow but live attempt from being retried beside itself (a second send).
 */
function sendAndRecordActivity(provider: ProviderName, plan: SendPlan) {
  return proxyActivities<ProviderActivities>({
    taskQueue: providerTaskQueue(provider),
    startToCloseTimeout: plan.sendTimeoutMs + 60_000,
    heartbeatTimeout: '10 seconds',
    retry: providerRetry(plan),
    // A cancel must learn whether the call ran (SendGate.providerCall); the SDK's default reports it cancelled at once.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  }).sendAndRecord;
}

/**
 * One SMS: route over providers by priority, fail over on provider-level failures, stop on message-level ones,
 * then wait (durably) for the delivery receipt.
 */
export async function sendSmsWorkflow({ messageId, sendAtMs, validUntilMs, plan: planned }: SendSmsInput): Promise<SendSmsResult> {
  const state: SmsWorkflowState = { status: 'queued', failedProviders: [] };
  const receipts: DeliveryReport[] = [];
  // Receipts may arrive while the send activity is still completing, so they are kept, not matched on arrival.
  setHandler(deliveryReportSignal, (report) => void receipts.push(report));
  setHandler(statusQuery, () => state);
  const gate = new SendGate(state, validUntilMs);
  const releaseSlot = releaseBatchSlot(messageId);

  if (sendAtMs !== undefined && patched(SCHEDULED_SEND)) {
    state.status = 'scheduled';
    // Counted (as scheduled) from now, so the figures and the log show what is waiting.
    await bookkeeping.admitScheduled({ messageId });
    if (sendAtMs > Date.now()) await gate.waitForCancel(sendAtMs - Date.now());
    if (gate.cancelled) return endCancelled(messageId, state, releaseSlot);
    state.status = 'queued';
  }
  // Decided by the input, which is in the history: replay takes the same branch.
  const plan = planned ?? (await bookkeeping.prepareSend({ messageId }));
  // Only code that has SEND_RECORDS_ITSELF hands a plan in, so a planned message needs no patch marker: a patch
  // costs a marker and a TemporalChangeVersion search-attribute upsert (a visibility write) per workflow.
  // Asked where the send happens, as before (a message with no provider never asked: its history has no marker).
  const recordsItself = () => planned !== undefined || patched(SEND_RECORDS_ITSELF);
  const result = await deliver(messageId, plan, state, receipts, releaseSlot, gate, recordsItself);
  // A/B decisions happen as outcomes arrive, so a clear winner takes over without anyone watching.
  if (plan.abTestTemplate) await bookkeeping.applyWinnerRule({ templateCode: plan.abTestTemplate });
  return result;
}

/**
 * In a batch, tells the parent once this message no longer needs a provider (accepted or failed), so the batch's
 * sliding window limits sends in progress, not day-long waits for receipts.
 */
interface SlotRelease {
  (): Promise<void>;
  /** True while a batch still counts this message in its window. */
  pending(): boolean;
  /** Someone else (the send activity) told the batch. */
  done(): void;
}

function releaseBatchSlot(messageId: string): SlotRelease {
  let released = false;
  const release = async () => {
    const parent = workflowInfo().parent;
    if (released || !parent) return;
    released = true;
    // The batch may be gone (cancelled and finished): nothing is waiting for the slot then.
    await getExternalWorkflowHandle(parent.workflowId)
      .signal(slotReleasedSignal, messageId)
      .catch(() => undefined);
  };
  return Object.assign(release, { pending: () => !released && workflowInfo().parent !== undefined, done: () => void (released = true) });
}

async function deliver(
  messageId: string,
  plan: SendPlan,
  state: SmsWorkflowState,
  receipts: DeliveryReport[],
  releaseSlot: SlotRelease,
  gate: SendGate,
  recordsItself: () => boolean,
): Promise<SendSmsResult> {
  const setStatus = (status: SmsStatus, provider?: ProviderName) => setWorkflowStatus(state, status, provider);
  const finish = async (status: 'failed' | 'expired', code: string, message: string): Promise<SendSmsResult> => {
    gate.close(`the message has ${status}`);
    await bookkeeping.markFinal({ messageId, status, code, message });
    setStatus(status);
    await releaseSlot();
    return { status, provider: state.provider, reason: code };
  };

  /**
   * No receipt before the deadline. One that comes while the end is recorded reaches this workflow, which no longer
   * waits: it is applied late here, as the API applies one that comes after the workflow closed. The patch is asked
   * only then, so other expiries pay nothing.
   */
  const expireAwaitingReceipt = async (provider: ProviderName, providerMessageId: string): Promise<SendSmsResult> => {
    const expired = await finish('expired', RECEIPT_TIMEOUT, 'no delivery receipt before the deadline');
    const late = receiptFor(receipts, provider, providerMessageId);
    if (!late || !patched(LATE_RECEIPT_WHILE_EXPIRING)) return expired;
    await bookkeeping.recordReceipt({ messageId, report: late, final: true });
    setStatus(late.outcome);
    return { status: late.outcome, provider: state.provider };
  };

  if (gate.cancelled) return endCancelled(messageId, state, releaseSlot);
  // Same commands with or without `unroutable` (only markFinal's text differs): no patch needed.
  if (plan.route.length === 0)
    return finish('failed', plan.unroutable?.code ?? 'no_provider_available', plan.unroutable?.message ?? 'no active provider within its limits');

  for (let index = 0; index < plan.route.length; index++) {
    const provider = plan.route[index];
    const stop = gate.beforeProvider();
    if (stop === 'cancelled') return endCancelled(messageId, state, releaseSlot);
    if (stop === 'expired') return finish('expired', 'validity_ended', 'valid_until passed before a provider took the message');
    setStatus('sending', provider);
    let providerMessageId: string;
    try {
      const sent = recordsItself()
        ? await sendAndRecord(messageId, provider, plan, receipts, releaseSlot, gate)
        : await sendViaProvider(messageId, provider, plan, gate);
      if ('cancelled' in sent) {
        // Taken back while its call waited in the provider's queue, or after a call that did not get it through.
        const failure = sent.failure === undefined || isCancellation(sent.failure) ? undefined : describeFailure(sent.failure);
        if (failure?.recordHere) await recordAmbiguousFailure(messageId, provider, failure);
        const lostTo = (await bookkeeping.markCancelled({ messageId }))?.acceptedBy;
        if (!lostTo || lostTo.provider !== provider || !patched(CANCEL_LOST_TO_RECORDED_SEND)) return cancelledEnd(state, releaseSlot);
        // It got through after all: its worker recorded the acceptance, then died or ran out of time before
        // reporting it, and Temporal does not retry an activity being cancelled. The cancel lost; the receipt decides.
        gate.close('a provider has accepted the message');
        providerMessageId = lostTo.providerMessageId;
      } else providerMessageId = sent.accepted.providerMessageId;
    } catch (err) {
      const failure = describeFailure(err);
      // Quiet hours came while it waited (an outage, a queue behind the rate limit): it waits, then the same provider.
      const openAt = failure.type === QUIET_HOURS ? failure.openAt : undefined;
      if (openAt !== undefined && patched(QUIET_HOURS_AT_SEND)) {
        // At most half an hour at a time: the call checks the windows again, so an operator's edit reaches it.
        if (await gate.waitForCancel(Math.min(openAt - Date.now(), QUIET_RECHECK_MS))) return endCancelled(messageId, state, releaseSlot);
        index -= 1;
        continue;
      }
      state.failedProviders.push({ provider, code: failure.code });
      if (failure.type === MESSAGE_REJECTED) return finish('failed', failure.code, failure.message);
      if (failure.recordHere) await recordAmbiguousFailure(messageId, provider, failure);
      continue;
    }

    state.providerMessageId = providerMessageId;
    setStatus('sent', provider);
    await releaseSlot();

    const report = await awaitReceipt(provider, providerMessageId, plan, receipts, messageId);
    if (!report) return expireAwaitingReceipt(provider, providerMessageId);

    const reroute = report.outcome === 'undelivered' && plan.rerouteOnUndelivered && index < plan.route.length - 1;
    await bookkeeping.recordReceipt({ messageId, report, final: !reroute });
    setStatus(report.outcome);
    if (!reroute) return { status: report.outcome, provider };
  }
  // Same commands whichever reason (only markFinal's text differs): no patch needed.
  const exhausted = exhaustedRouteReason(state.failedProviders, plan.shortOfCredit);
  return finish('failed', exhausted.code, exhausted.message);
}

function setWorkflowStatus(state: SmsWorkflowState, status: SmsStatus, provider?: ProviderName): void {
  state.status = status;
  if (provider) state.provider = provider;
  // `sending` is a moment, not something operators filter by: skipping it saves a history event per attempt.
  if (status === 'sending') return;
  upsertSearchAttributes([{ key: SmsStatusKey, value: status }, ...(state.provider ? [{ key: SmsProviderKey, value: state.provider }] : [])]);
}

/** The sender took the message back before any provider had it (see SendGate). */
async function endCancelled(messageId: string, state: SmsWorkflowState, releaseSlot: SlotRelease): Promise<SendSmsResult> {
  await bookkeeping.markCancelled({ messageId });
  return cancelledEnd(state, releaseSlot);
}

/** The workflow's end once the message is marked cancelled. */
async function cancelledEnd(state: SmsWorkflowState, releaseSlot: SlotRelease): Promise<SendSmsResult> {
  setWorkflowStatus(state, 'cancelled');
  await releaseSlot();
  // The cancel update answers once it sees `cancelled`; let it answer before the workflow closes.
  await condition(allHandlersFinished);
  return { status: 'cancelled' };
}

/** What a provider step came to: accepted, or stopped by a cancel (see SendGate.providerCall). */
type Sent = { accepted: ProviderAccepted } | { cancelled: true; failure?: unknown };

/** A provider call that timed out or whose worker died: the provider may have the message. */
function recordAmbiguousFailure(messageId: string, provider: ProviderName, failure: { code: string; message: string }): Promise<void> {
  return bookkeeping.recordAttemptFailed({ messageId, provider, code: failure.code, message: failure.message, ambiguous: true });
}

/** Before SEND_RECORDS_ITSELF: the provider call, then the acceptance recorded by a local activity. */
async function sendViaProvider(messageId: string, provider: ProviderName, plan: SendPlan, gate: SendGate): Promise<Sent> {
  const sent = await gate.providerCall(() => providerActivities(provider, plan).sendViaProvider({ messageId, provider }));
  if ('cancelled' in sent) return sent;
  await bookkeeping.recordSent({ messageId, provider, ...sent.accepted });
  return sent;
}

/** One activity sends, records, frees the batch slot and returns any receipt that came before the record. */
async function sendAndRecord(
  messageId: string,
  provider: ProviderName,
  plan: SendPlan,
  receipts: DeliveryReport[],
  releaseSlot: SlotRelease,
  gate: SendGate,
): Promise<Sent> {
  const batch = releaseSlot.pending() ? workflowInfo().parent?.workflowId : undefined;
  const sent = await gate.providerCall(() => sendAndRecordActivity(provider, plan)({ messageId, provider, ...(batch ? { releaseSlotOf: batch } : {}) }));
  if ('cancelled' in sent) return sent;
  const { recorded, slotReleased, earlyReceipt, ...accepted } = sent.accepted;
  if (!recorded) await bookkeeping.recordSent({ messageId, provider, ...accepted });
  if (slotReleased) releaseSlot.done();
  if (earlyReceipt) receipts.push(earlyReceipt);
  return { accepted };
}

/** The receipt of this send among those kept (a reroute's earlier provider may have reported too). */
function receiptFor(receipts: DeliveryReport[], provider: ProviderName, providerMessageId: string): DeliveryReport | undefined {
  return receipts.find((r) => r.provider === provider && r.providerMessageId === providerMessageId);
}

async function awaitReceipt(
  provider: ProviderName,
  providerMessageId: string,
  plan: SendPlan,
  receipts: DeliveryReport[],
  messageId: string,
): Promise<DeliveryReport | undefined> {
  const match = () => receiptFor(receipts, provider, providerMessageId);
  if (!plan.pollingProviders.includes(provider)) {
    await condition(() => match() !== undefined, plan.receiptTimeoutMs);
    return match();
  }
  // Poll-only providers: ask with growing intervals so a day-long wait stays a few dozen history events.
  const deadline = Date.now() + plan.receiptTimeoutMs;
  let interval = plan.receiptPollMs;
  while (Date.now() < deadline) {
    if (await condition(() => match() !== undefined, Math.min(interval, deadline - Date.now()))) return match();
    const polled = await providerActivities(provider, plan)
      .fetchReceipt({ messageId, provider, providerMessageId })
      .catch(() => undefined); // a failed poll is only a missed look; the next one or a push may still come
    if (polled) return polled;
    interval = Math.min(interval * 2, 30 * 60_000);
  }
  return match();
}

/** Reads the failure type an activity raised; Temporal-level timeouts were not recorded by the activity. */
function describeFailure(err: unknown): { type: string; code: string; message: string; recordHere: boolean; openAt?: number } {
  if (err instanceof ActivityFailure && err.cause instanceof ApplicationFailure) {
    const details = (err.cause.details?.[0] ?? {}) as { code?: string; openAt?: number };
    return { type: err.cause.type ?? 'Unknown', code: details.code ?? 'error', message: err.cause.message, recordHere: false, openAt: details.openAt };
  }
  if (err instanceof ActivityFailure) {
    return { type: PROVIDER_UNAVAILABLE, code: 'activity_timeout', message: err.cause?.message ?? 'provider activity did not finish', recordHere: true };
  }
  throw err;
}
