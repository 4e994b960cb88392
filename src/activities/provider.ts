import { ApplicationFailure, Context, log } from '@temporalio/activity';
import type { Repositories } from '../db';
import type { ProviderConfig } from '../db/providers';
import type { SmsMessage } from '../db/messages';
import { publicErrorText } from '../domain/errorText';
import type { TaiwanPhone } from '../domain/phone';
import type { ProviderName } from '../domain/sms';
import { FAILURE } from '../domain/failureTypes';
import { metrics } from '../metrics';
import { blockedByOptOut } from '../domain/optOut';
import { OptOutLedger } from '../services/optOuts';
import { createProvider } from '../providers';
import { routableProvider } from '../db/providerDirectory';
import { unusableReason } from '../domain/routing';
import { startOfTaipeiDay } from '../domain/taipeiTime';
import { quietHoldUntil, type QuietWindow } from '../domain/quietHours';
import { ProviderError, fromTransportError } from '../providers/errors';
import type { BookkeepingActivities, ProviderAccepted, ProviderActivities, SentAndRecorded } from './types';

export interface ProviderActivityDeps {
  repos: Repositories;
  circuit: { failureThreshold: number; cooldownMs: number };
  /** Base URL of our webhooks as providers reach them. */
  webhookBaseUrl: string;
  webhookToken: string;
  timeoutMs: number;
  /**
   * The bookkeeping that records an accepted send (sms_provider_refs, status, daily usage); given the message as
   * this activity last wrote it, it skips reading it again.
   */
  recordSent: (input: Parameters<BookkeepingActivities['recordSent']>[0], known?: SmsMessage, notBefore?: number) => Promise<void>;
  /** Tells a batch workflow that this message no longer holds a window slot; done once the batch is gone. */
  releaseSlot: (batchWorkflowId: string, messageId: string) => Promise<void>;
  /** The quiet-hour windows in force (operator-editable): a few seconds old at most, or read now with `fresh`. */
  quietWindows: (fresh?: boolean) => Promise<QuietWindow[]>;
}

/** Failure types the workflow branches on (see workflows/sendSms.ts). */
const failureType = (e: ProviderError): string =>
  e.scope === 'message' ? FAILURE.messageRejected : e.retryable ? FAILURE.providerTransient : FAILURE.providerUnavailable;

/**
 * How often a long provider activity heartbeats, and at most how long the worker holds one back (its
 * `maxHeartbeatThrottleInterval`): else the SDK sends at most one per 80 % of the 10 s heartbeat timeout, and a
 * 2 s hiccup would have Temporal retry a live attempt beside itself.
 */
export const SEND_HEARTBEAT_MS = 3_000;

/** Activities that talk to providers; they run on each provider's rate-limited task queue. */
export function createProviderActivities({
  repos,
  circuit,
  webhookToken,
  webhookBaseUrl,
  timeoutMs,
  recordSent,
  releaseSlot,
  quietWindows,
}: ProviderActivityDeps): ProviderActivities {
  /** Provider-level failures feed the circuit breaker; message-level ones say nothing about the provider. */
  const trackHealth = async (config: ProviderConfig, startedAt: number, error?: ProviderError) => {
    const provider = config._id;
    if (!error) {
      // Nearly every success finds the circuit clean: a read then (usually the one this attempt already made),
      // instead of a write per message.
      if (!(await repos.providerDirectory.snapshot(startedAt)).circuits.get(provider)?.consecutive_failures) return;
      if (await repos.providerHealth.recordSuccess(provider)) await auditCircuit(provider, 'provider.circuit_closed');
      return;
    }
    if (error.scope !== 'provider') return;
    const threshold = config.circuit_failure_threshold ?? circuit.failureThreshold;
    const cooldownMs = config.circuit_cooldown_ms ?? circuit.cooldownMs;
    if (await repos.providerHealth.recordFailure(provider, threshold, cooldownMs)) {
      log.warn('provider circuit opened: routing skips it for the cool-down', { provider, code: error.code });
      await auditCircuit(provider, 'provider.circuit_opened', { last_error: error.code, cooldown_ms: cooldownMs });
    }
  };
  const optOuts = new OptOutLedger(repos.optOuts, repos.audit);
  const auditCircuit = (provider: ProviderName, action: string, after?: Record<string, unknown>) =>
    repos.audit.record({ actor: 'system', action, target: { type: 'provider', id: provider }, after });

  /** `startedAt`: the attempt's start; provider settings read since then serve all of its steps. */
  const adapterFor = async (provider: ProviderName, startedAt = Date.now()) => {
    const config = await repos.providerDirectory.config(provider, startedAt);
    if (!config) throw ApplicationFailure.nonRetryable(`provider ${provider} is not configured`, FAILURE.providerUnavailable, { code: 'not_configured' });
    return { config, adapter: createProvider(config, { timeoutMs }) };
  };

  /**
   * One provider call for a message; provider errors become the failure types the workflow branches on. Returns
   * the message as its attempt record left it, for the next write of the same activity.
   */
  const send = async (message: SmsMessage, provider: ProviderName, startedAt: number): Promise<ProviderAccepted & { message: SmsMessage | null }> => {
    const messageId = message._id;
    // A message already final (cancelled while its workflow was being started, say) is never texted.
    if (message.finished_at) {
      throw ApplicationFailure.create({
        type: FAILURE.messageRejected,
        message: `the message is already ${message.status}`,
        nonRetryable: true,
        details: [{ code: 'already_final', ambiguous: false }],
      });
    }
    // A batch message its template could no longer give a text (see prepareBatchPage): failed, never texted.
    if (message.render_error) {
      throw ApplicationFailure.create({
        type: FAILURE.messageRejected,
        message: message.render_error.message,
        nonRetryable: true,
        details: [{ code: message.render_error.code, ambiguous: false }],
      });
    }
    // Checked again at send time: a number may opt out after its batch, campaign run or quiet-hours wait was accepted.
    if (blockedByOptOut(message.message_type) && (await repos.optOuts.get(message.phone_e164))) {
      throw ApplicationFailure.create({
        type: FAILURE.messageRejected,
        message: 'the number opted out of marketing',
        nonRetryable: true,
        details: [{ code: 'opted_out', ambiguous: false }],
      });
    }
    // A hold is confirmed on windows read now: an operator who just opened them must not hold the message for hours.
    const holds = async (fresh: boolean) => quietHoldUntil(message, await quietWindows(fresh), new Date());
    const openAt = (await holds(false)) !== undefined ? await holds(true) : undefined;
    if (openAt !== undefined) {
      throw ApplicationFailure.create({
        type: FAILURE.quietHours,
        message: `quiet hours: the message waits until ${new Date(openAt).toISOString()}`,
        nonRetryable: true,
        details: [{ code: 'quiet_hours', ambiguous: false, openAt }],
      });
    }
    const { config, adapter } = await adapterFor(provider, startedAt);
    await refuseIfUnusable(message, provider, startedAt);
    const { attempt } = Context.current().info;
    const { interrupted, message: attempting } = await repos.messages.recordAttemptStarted(messageId, provider, attempt, message);
    if (interrupted) {
      // An earlier attempt died mid-call (worker crash): the provider may already have the message.
      log.warn('resending after an unfinished attempt; the customer may receive a duplicate', { messageId, provider });
    }
    const timer = metrics().providerLatency.startTimer({ provider });
    try {
      const { balance, ...accepted } = await adapter.send({
        messageId,
        phone: phoneOf(message),
        body: message.body,
        receiptUrl: receiptUrl(webhookBaseUrl, provider, messageId, webhookToken),
      });
      timer();
      // Kept in memory at once, stored coalesced: no write of its own for this message (db/providerBalances.ts).
      if (balance !== undefined) repos.balances.observe(provider, balance, 'send_reply');
      metrics().providerCalls.inc({ provider, outcome: 'accepted' });
      await trackHealth(config, startedAt).catch(() => undefined); // never turn an accepted send into a retry
      return { ...accepted, pricePerSegment: config.price_per_segment, message: attempting };
    } catch (err) {
      timer();
      const error = err instanceof ProviderError ? err : fromTransportError(provider, err);
      // What clients see of it: never our credentials or the full number echoed back, never a whole vendor page.
      const text = publicErrorText(error.message, [...Object.values(config.credentials ?? {}), webhookToken], phoneOf(message));
      metrics().providerCalls.inc({ provider, outcome: failureType(error) });
      // "Insufficient credit": routing skips this provider for messages it cannot pay for until the balance rises.
      if (error.balance !== undefined) repos.balances.observe(provider, error.balance, 'no_credit_reply');
      log.warn('provider send failed', { messageId, provider, code: error.code, retryable: error.retryable, scope: error.scope });
      await repos.messages.recordAttemptFailed(messageId, provider, { code: error.code, message: text, ambiguous: error.ambiguous });
      if (isUnsubscribedRecipient(error))
        await optOuts.add(phoneOf(message), {
          source: 'provider',
          actor: `provider:${provider}`,
          provider,
          reason: `${provider} error ${error.code}: recipient unsubscribed`,
        });
      await trackHealth(config, startedAt, error);
      throw ApplicationFailure.create({
        type: failureType(error),
        message: text,
        nonRetryable: !error.retryable,
        details: [{ code: error.code, ambiguous: error.ambiguous }],
      });
    }
  };

  /**
   * The route may have been planned a little before this send (a batch page plans once for all its messages): a
   * provider that has since opened its circuit, been switched off, reached its daily limit or run short of prepaid
   * points for this message is passed over here, and the workflow fails over to the next one. Uses what this attempt
   * already read (balances: at most one read a second per process), so it costs no round trip per message.
   */
  const refuseIfUnusable = async (message: SmsMessage, provider: ProviderName, startedAt: number) => {
    const now = new Date();
    const [{ rows, circuits }, balances] = await Promise.all([repos.providerDirectory.snapshot(startedAt), repos.balances.current(now.getTime())]);
    const row = rows.find((r) => r._id === provider);
    const usage = repos.providerHealth.knownUsage(provider, startOfTaipeiDay(now));
    const reason = row && unusableReason(routableProvider(row, usage, circuits.get(provider), balances.get(provider)?.points), now, message.segments);
    // A test send tries its one provider whatever its state (see prepareSend).
    if (!reason || message.forced_provider === provider) return;
    // Its route was planned before this was known (at intake, or for a batch page): the events say why it was passed.
    await repos.messages.recordRouteSkips(message._id, [{ provider, reason }], message);
    throw ApplicationFailure.create({
      type: FAILURE.providerUnavailable,
      message: `${provider} cannot take messages now (${reason})`,
      nonRetryable: true,
      details: [{ code: reason, ambiguous: false }],
    });
  };

  const loadMessage = async (messageId: string) => {
    const message = await repos.messages.findById(messageId);
    if (!message) throw ApplicationFailure.nonRetryable(`message ${messageId} not found`, FAILURE.messageRejected, { code: 'not_found' });
    return message;
  };

  return {
    async sendViaProvider({ messageId, provider }) {
      const startedAt = Date.now();
      const { message: _, ...accepted } = await send(await loadMessage(messageId), provider, startedAt);
      return accepted;
    },

    async sendAndRecord({ messageId, provider, releaseSlotOf }) {
      // Heartbeats only while an attempt runs long (a slow database under load): the workflow's short heartbeat
      // timeout then tells a dead worker from a slow one, so a live attempt is never retried beside itself.
      const context = Context.current();
      const beat = setInterval(() => context.heartbeat(), SEND_HEARTBEAT_MS);
      try {
        return await sendAndRecord(messageId, provider, releaseSlotOf);
      } finally {
        clearInterval(beat);
      }
    },

    async fetchReceipt({ messageId, provider, providerMessageId }) {
      const message = await repos.messages.findById(messageId);
      const { adapter } = await adapterFor(provider);
      if (!message || !adapter.fetchReceipt) return undefined;
      const report = await adapter.fetchReceipt(providerMessageId, phoneOf(message));
      return report && { ...report, receivedAt: new Date().toISOString() };
    },
  };

  async function sendAndRecord(messageId: string, provider: ProviderName, releaseSlotOf: string | undefined): Promise<SentAndRecorded> {
    const startedAt = Date.now();
    const message = await loadMessage(messageId);
    // A retry of an attempt that got as far as recording the acceptance (its worker died before reporting it):
    // the provider has the message, so it is not sent again.
    const alreadySent = acceptanceRecordedFor(message, provider);
    // `latest`: the message as this activity last read or wrote it, so recording the send need not read it again.
    const { message: latest, ...accepted }: ProviderAccepted & { message: SmsMessage | null } = alreadySent
      ? {
          providerMessageId: message.provider_message_id!,
          pricePerSegment: message.price_per_segment ?? 0,
          ...(message.reported_cost === undefined ? {} : { reportedCost: message.reported_cost }),
          message,
        }
      : await send(message, provider, startedAt);
    let recorded = true;
    try {
      // Stores the provider-id ref first, then the early receipt is looked for: see db/earlyReceipts.ts.
      await recordSent({ messageId, provider, ...accepted }, latest ?? undefined, startedAt);
    } catch (err) {
      // Failing here would retry the activity and resend; the workflow records the acceptance instead.
      log.warn('could not record an accepted send; the workflow will', { messageId, provider, error: String(err) });
      recorded = false;
    }
    const earlyReceipt =
      recorded && accepted.matchReceiptsByProviderId
        ? await repos.earlyReceipts.heldFor(provider, accepted.providerMessageId).catch(() => undefined)
        : undefined;
    // The slot is free once the provider has the message. A failed signal must not fail (and resend) the
    // send: the workflow then signals the batch itself.
    const slotReleased = releaseSlotOf
      ? await releaseSlot(releaseSlotOf, messageId).then(
          () => true,
          (err) => (log.warn('could not free the batch slot; the workflow will', { messageId, error: String(err) }), false),
        )
      : false;
    return { ...accepted, recorded, slotReleased, ...(earlyReceipt ? { earlyReceipt } : {}) };
  }
}

/**
 * Our receipt URL for one message. Mitake's callbacks carry no signature, so the URL carries the deployment's
 * webhook token; Twilio signs its callbacks and gets none.
 */
function receiptUrl(base: string, provider: ProviderName, messageId: string, webhookToken: string): string {
  const query = new URLSearchParams({ message_id: messageId, ...(provider === 'twilio' ? {} : { token: webhookToken }) });
  return `${base}/api/v1/webhooks/sms/${provider}?${query}`;
}

/** Twilio 21610: the handset replied STOP to our sender, so the carrier path refuses us; honour it everywhere. */
const isUnsubscribedRecipient = (e: ProviderError): boolean => e.provider === 'twilio' && e.code === '21610';

/**
 * Whether `provider` accepted this message and the acceptance is on record: the provider's latest attempt is the one
 * the acceptance closed, and none is open after it. A rerouted message (undelivered by one provider, sent on by the
 * next) still carries the first provider's id and `sent_at` until the next acceptance replaces them, so the
 * provider's name alone would make a retry of the next provider's send skip the call. Decided by the attempts' order,
 * not their times: attempts are stamped by whichever worker ran them, and clocks differ between machines.
 */
export function acceptanceRecordedFor(message: SmsMessage, provider: ProviderName): boolean {
  if (message.provider !== provider || !message.provider_message_id || message.sent_at === undefined) return false;
  if (message.open_attempt?.provider === provider) return false;
  const latest = (message.attempts ?? []).filter((a) => a.provider === provider).at(-1);
  return latest?.outcome === 'accepted';
}

function phoneOf(message: SmsMessage): TaiwanPhone {
  return { e164: message.phone_e164, national: message.phone_national, masked: message.phone_masked, kind: message.phone_kind };
}
