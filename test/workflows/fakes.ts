import { EventEmitter } from 'node:events';
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import type { AlertActivities } from '../../src/activities/alerts';
import type { BalanceActivities } from '../../src/activities/balances';
import type { RetentionActivities } from '../../src/activities/retention';
import { CALLBACK_REFUSED, type CallbackActivities } from '../../src/activities/callbackTypes';
import type { BatchPlan, BookkeepingActivities, BulkActivities, OrderActivities, ProviderActivities, QuietGate, SendPlan } from '../../src/activities/types';
import { ORDER_TEXT_REFUSED } from '../../src/domain/orderEvents';
import { FAILURE } from '../../src/domain/failureTypes';
import { workflowIdFor, type DeliveryReport, type ProviderName, type ReceiptOutcome } from '../../src/domain/sms';
import { deliveryReportSignal } from '../../src/workflows/signals';
import { askStartedToCancel } from '../../src/activities/bulk';
import { askMessageToCancel } from '../../src/temporal/starts';

/** How one fake provider behaves; the failure types are those activities/provider.ts raises. */
export interface ProviderScript {
  /** Unset: the provider accepts the send. */
  fails?: { type: 'MessageRejected' | 'ProviderUnavailable' | 'ProviderTransient'; code: string };
  /** A receipt pushed (as the webhook would) while the send completes; unset: none arrives. */
  pushes?: ReceiptOutcome;
  /** What a poll finds; unset: nothing yet. */
  polls?: ReceiptOutcome;
  /** `sendAndRecord` only: a receipt that came before the send was recorded, handed back by the activity. */
  early?: ReceiptOutcome;
  /** `sendAndRecord` only: the acceptance is recorded, then the attempt fails (its worker lost before reporting). */
  failsAfterRecording?: boolean;
  /** The first call finds quiet hours, which end this many ms later; later calls go through. */
  quietForMs?: number;
}

/** Everything the activities would have read from MongoDB or the providers, for one test. */
export interface Scenario {
  plan?: Partial<SendPlan>;
  providers?: Partial<Record<ProviderName, ProviderScript>>;
  batch?: Partial<BatchPlan>;
  quietGate?: () => QuietGate;
  campaignBatch?: { batchId: string; messageType: string; paused?: boolean; cancelled?: boolean } | null;
  alerts?: { opened: string[]; resolved: string[] };
  balances?: Record<string, number | string>;
  /** Order texts the intake refuses, by template code, with the gateway's error code. */
  refusedOrderTexts?: Record<string, string>;
  /** Order texts whose message a recall still cancels (no provider has it yet), by template code; others are too late. */
  recallableOrderTexts?: string[];
  /** HTTP statuses a callback receiver answers, one per attempt (the last repeats); unset: 200. */
  callbackAnswers?: number[];
}

export interface Call {
  name: string;
  input: any;
}

// Long receipt wait by default, so only tests about the timeout see it fire.
const DEFAULT_PLAN: SendPlan = {
  route: ['every8d', 'mitake', 'twilio'],
  pollingProviders: [],
  sendTimeoutMs: 5_000,
  attemptsPerProvider: 1,
  receiptTimeoutMs: 10 * 60_000,
  receiptPollMs: 100,
  rerouteOnUndelivered: false,
};

const DEFAULT_BATCH: BatchPlan = { total: 3, respectQuietHours: false, messageType: 'notification', pageSize: 50, window: 20 };

export const providerMessageIdFor = (provider: ProviderName, messageId: string): string => `${provider}-${messageId}`;
export const batchMessageIds = (batchId: string, from: number, to: number): string[] =>
  Array.from({ length: Math.max(0, to - from) }, (_, i) => `${batchId}-m${from + i}`);

/**
 * In-memory stand-ins for every activity. One instance serves a whole test file (the workers are built once);
 * `reset` gives each test its own scenario and call log. Workers run in the test process, so tests can wait on
 * calls directly instead of sleeping.
 */
export class FakeActivities {
  calls: Call[] = [];
  private scenario: Scenario = {};
  private held: Promise<void> | undefined;
  private releaseHeld: () => void = () => undefined;
  private preparing: Promise<void> | undefined;
  private releasePreparing: () => void = () => undefined;
  private finals: Promise<void> | undefined;
  private releaseFinalsHeld: () => void = () => undefined;
  private pagesHeld: { fromIndex: number; until: Promise<void> } | undefined;
  private releasePagesHeld: () => void = () => undefined;
  private readonly events = new EventEmitter();

  constructor(private readonly client: () => Client) {}

  /** Held sends stay held (a test holds them before it starts anything); the harness releases them after each test. */
  reset(scenario: Scenario): this {
    this.calls = [];
    this.scenario = scenario;
    return this;
  }

  /** Provider sends wait until `releaseSends`, so a test can look at a batch with its window full. */
  holdSends(): void {
    this.held = new Promise((resolve) => (this.releaseHeld = resolve));
  }

  releaseSends(): void {
    this.releaseHeld();
    this.held = undefined;
    this.releasePrepares();
    this.releasePages();
    this.releaseFinals();
  }

  /** `markFinal` waits until `releaseFinals`, so a test can signal a workflow while it records its end. */
  holdFinals(): void {
    this.finals = new Promise((resolve) => (this.releaseFinalsHeld = resolve));
  }

  releaseFinals(): void {
    this.releaseFinalsHeld();
    this.finals = undefined;
  }

  /** `prepareBatchPage` from `fromIndex` on waits until `releasePages`: a batch then waits for its next page. */
  holdPagesFrom(fromIndex: number): void {
    this.pagesHeld = { fromIndex, until: new Promise((resolve) => (this.releasePagesHeld = resolve)) };
  }

  releasePages(): void {
    this.releasePagesHeld();
    this.pagesHeld = undefined;
  }

  /** `prepareSend` waits until `releasePrepares`, so a test can act while a message is admitted but not yet sent. */
  holdPrepares(): void {
    this.preparing = new Promise((resolve) => (this.releasePreparing = resolve));
  }

  releasePrepares(): void {
    this.releasePreparing();
    this.preparing = undefined;
  }

  named(name: string): Call[] {
    return this.calls.filter((c) => c.name === name);
  }

  /** Resolves once `name` has been called `count` times in this test. */
  waitForCalls(name: string, count: number): Promise<Call[]> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.named(name).length < count) return;
        this.events.off('call', check);
        resolve(this.named(name));
      };
      this.events.on('call', check);
      check();
    });
  }

  private record(name: string, input: unknown): void {
    this.calls.push({ name, input });
    this.events.emit('call');
  }

  get activities(): BookkeepingActivities &
    ProviderActivities &
    BulkActivities &
    AlertActivities &
    RetentionActivities &
    BalanceActivities &
    OrderActivities &
    CallbackActivities {
    return {
      ...this.bookkeeping(),
      ...this.provider(),
      ...this.bulk(),
      ...this.alertActivities(),
      ...this.retention(),
      ...this.balanceActivities(),
      ...this.orders(),
      ...this.callbacks(),
    };
  }

  /** The intake as the order workflow sees it: the message id follows from the event, as the real key does. */
  private orders(): OrderActivities {
    return {
      sendOrderText: async (input) => {
        this.record('sendOrderText', input);
        await this.held;
        const refused = this.scenario.refusedOrderTexts?.[input.templateCode];
        if (refused)
          throw ApplicationFailure.create({ type: ORDER_TEXT_REFUSED, message: `refused: ${refused}`, nonRetryable: true, details: [{ code: refused }] });
        return { messageId: `msg-${input.eventId}` };
      },
      recallOrderTexts: async (input) => {
        this.record('recallOrderTexts', input);
        const templateOf = (messageId: string) => this.named('sendOrderText').find((c) => `msg-${c.input.eventId}` === messageId)?.input.templateCode;
        const recallable = this.scenario.recallableOrderTexts ?? [];
        return Object.fromEntries(input.messageIds.map((id) => [id, recallable.includes(templateOf(id)) ? 'cancelled' : 'too_late'] as const));
      },
      forgetOrderEvents: async (input) => this.record('forgetOrderEvents', input),
    };
  }

  /** A receiver answering `callbackAnswers` in turn, classified as activities/callbacks.ts does. */
  private callbacks(): CallbackActivities {
    return {
      postStatusCallback: async (input) => {
        this.record('postStatusCallback', input);
        const answers = this.scenario.callbackAnswers ?? [200];
        const status = answers[Math.min(this.named('postStatusCallback').length, answers.length) - 1];
        if (status < 300) return { httpStatus: status };
        if (status >= 500 || status === 408 || status === 429)
          throw ApplicationFailure.create({ message: `receiver answered HTTP ${status}`, type: 'CallbackRetry', details: [{ httpStatus: status }] });
        throw ApplicationFailure.nonRetryable(`receiver answered HTTP ${status}`, CALLBACK_REFUSED, { httpStatus: status });
      },
      recordCallbackOutcome: async (input) => void this.record('recordCallbackOutcome', input),
    };
  }

  /** A retention run over two past-retention days (Jan 31 and Feb 1, 2024), the first with two pages of messages. */
  private retention(): RetentionActivities {
    const counts = { days: 0, messages: 0, lookup_docs: 0, keyed_lists: 0, recipient_chunks: 0, webhook_events: 0, counters: 0 };
    return {
      planRetention: async (input) => (this.record('planRetention', input), { cutoffMs: Date.UTC(2024, 1, 2), fromDay: '20240131', untilDay: '20240202' }),
      findNextDay: async (input) => (this.record('findNextDay', input), { day: input.fromDay, scannedTo: input.fromDay }),
      purgeMessagesPage: async (input) => (
        this.record('purgeMessagesPage', input),
        input.cursor ? { purged: 3, batchIds: [] } : { purged: 500, batchIds: ['b1'], next: { slot: '202401310000', tag: 0, k: 1 } }
      ),
      dropDayLookups: async (input) => (this.record('dropDayLookups', input), { lookupDocs: 12, recipientChunks: 1 }),
      dropKeyedListsPage: async (input) => (this.record('dropKeyedListsPage', input), { lists: 4, done: true }),
      setWatermark: async (input) => this.record('setWatermark', input),
      cleanOutcomeCounters: async (input) => (this.record('cleanOutcomeCounters', input), { dropped: 2, done: true }),
      finishRetention: async (input) => (this.record('finishRetention', input), { ...counts, ...input.counts }),
    };
  }

  private bookkeeping(): BookkeepingActivities {
    return {
      prepareSend: async (input) => {
        this.record('prepareSend', input);
        await this.preparing;
        return { ...DEFAULT_PLAN, ...this.scenario.plan };
      },
      admitScheduled: async (input) => this.record('admitScheduled', input),
      // Refused when the store has the acceptance, as the real one reads it back.
      markCancelled: async (input) => {
        this.record('markCancelled', input);
        const recorded = this.named('recordSent').find((c) => c.input.messageId === input.messageId);
        return recorded ? { acceptedBy: { provider: recorded.input.provider, providerMessageId: recorded.input.providerMessageId } } : {};
      },
      recordSent: async (input) => this.record('recordSent', input),
      recordAttemptFailed: async (input) => this.record('recordAttemptFailed', input),
      recordReceipt: async (input) => this.record('recordReceipt', input),
      markFinal: async (input) => {
        this.record('markFinal', input);
        await this.finals;
      },
      applyWinnerRule: async (input) => (this.record('applyWinnerRule', input), {}),
    };
  }

  private provider(): ProviderActivities {
    const provider: ProviderActivities = {
      sendViaProvider: async (input) => {
        this.record('sendViaProvider', input);
        await this.held;
        const script = this.scenario.providers?.[input.provider] ?? {};
        if (script.quietForMs !== undefined && this.named('sendViaProvider').length === 1) {
          const openAt = Date.now() + script.quietForMs;
          throw ApplicationFailure.create({
            type: FAILURE.quietHours,
            message: 'quiet hours',
            nonRetryable: true,
            details: [{ code: 'quiet_hours', ambiguous: false, openAt }],
          });
        }
        if (script.fails) {
          const { type, code } = script.fails;
          throw ApplicationFailure.create({ type, message: `${input.provider} said ${code}`, nonRetryable: type !== 'ProviderTransient', details: [{ code }] });
        }
        const providerMessageId = providerMessageIdFor(input.provider, input.messageId);
        if (script.pushes) {
          await this.client()
            .workflow.getHandle(workflowIdFor(input.messageId))
            .signal(deliveryReportSignal, report(input.provider, providerMessageId, script.pushes));
        }
        return { providerMessageId, pricePerSegment: 1 };
      },
      // What the real one does: the same send, then the acceptance recorded (the batch slot is left to the
      // workflow's own signal here, as when the real activity cannot reach the batch).
      sendAndRecord: async (input) => {
        this.record('sendAndRecord', input);
        const accepted = await provider.sendViaProvider(input);
        this.record('recordSent', { messageId: input.messageId, provider: input.provider, ...accepted });
        if (this.scenario.providers?.[input.provider]?.failsAfterRecording)
          throw ApplicationFailure.retryable('worker lost after recording the acceptance', 'WorkerLost');
        const early = this.scenario.providers?.[input.provider]?.early;
        return {
          ...accepted,
          recorded: true,
          slotReleased: false,
          ...(early ? { earlyReceipt: report(input.provider, accepted.providerMessageId, early) } : {}),
        };
      },
      fetchReceipt: async (input) => {
        this.record('fetchReceipt', input);
        const outcome = this.scenario.providers?.[input.provider]?.polls;
        return outcome && report(input.provider, input.providerMessageId, outcome);
      },
    };
    return provider;
  }

  private bulk(): BulkActivities {
    return {
      planBatch: async (input) => (this.record('planBatch', input), { ...DEFAULT_BATCH, ...this.scenario.batch }),
      prepareBatchPage: async (input) => {
        this.record('prepareBatchPage', input);
        if (this.pagesHeld && input.fromIndex >= this.pagesHeld.fromIndex) await this.pagesHeld.until;
        const total = this.scenario.batch?.total ?? DEFAULT_BATCH.total;
        return batchMessageIds(input.batchId, input.fromIndex, Math.min(total, input.fromIndex + input.limit));
      },
      planPageSends: async (input) => (this.record('planPageSends', input), { ...DEFAULT_PLAN, ...this.scenario.plan }),
      setBatchStatus: async (input) => this.record('setBatchStatus', input),
      cancelUnstarted: async (input) => this.record('cancelUnstarted', input),
      // The real asking: each child's own workflow decides (its SendGate), on the test server.
      cancelInFlight: async (input) => {
        this.record('cancelInFlight', input);
        return askStartedToCancel(input.batchId, input.messageIds, (id, updateId) => askMessageToCancel(this.client(), id, updateId));
      },
      quietGate: async (input) => {
        this.record('quietGate', input);
        return this.scenario.quietGate?.() ?? { openAt: 0, closeAt: Date.now() + 24 * 3_600_000 };
      },
      createCampaignBatch: async (input) => (this.record('createCampaignBatch', input), this.scenario.campaignBatch ?? null),
    };
  }

  private balanceActivities(): BalanceActivities {
    return { refreshBalances: async (input) => (this.record('refreshBalances', input), this.scenario.balances ?? {}) };
  }

  private alertActivities(): AlertActivities {
    return { evaluateAlerts: async (input) => (this.record('evaluateAlerts', input), this.scenario.alerts ?? { opened: [], resolved: [] }) };
  }
}

export function report(provider: ProviderName, providerMessageId: string, outcome: ReceiptOutcome): DeliveryReport {
  return { provider, providerMessageId, outcome, providerStatus: outcome === 'delivered' ? 'DELIVRD' : 'UNDELIV', receivedAt: new Date().toISOString() };
}
