import type { DeliveryReport, ProviderAccepted, ProviderName } from '../domain/sms';

export type { ProviderAccepted } from '../domain/sms';

/** Route and timing for one message, decided by the worker's configuration and recorded in history. */
export interface SendPlan {
  route: ProviderName[];
  pollingProviders: ProviderName[];
  sendTimeoutMs: number;
  attemptsPerProvider: number;
  receiptTimeoutMs: number;
  receiptPollMs: number;
  rerouteOnUndelivered: boolean;
  /** Set when the message's template has an undecided A/B winner rule to check once this message ends. */
  abTestTemplate?: string;
  /** Why the route is empty, when a clearer reason than "no provider" is known (no provider has the credit). */
  unroutable?: { code: string; message: string };
  /** Providers routing left out for want of prepaid credit: named too if the route's providers then refuse for it. */
  shortOfCredit?: ProviderName[];
}

export interface BookkeepingActivities {
  prepareSend(input: { messageId: string }): Promise<SendPlan>;
  /** A scheduled message starts counting (as `scheduled`) when its workflow takes it on to wait. */
  admitScheduled(input: { messageId: string }): Promise<void>;
  /**
   * The sender cancelled it before any provider call; nothing else about the message changes. `acceptedBy` when
   * the cancel came too late: a provider's acceptance is on record (no answer at all in histories before it).
   */
  markCancelled(input: { messageId: string }): Promise<{ acceptedBy?: { provider: ProviderName; providerMessageId: string } } | undefined>;
  recordSent(input: { messageId: string; provider: ProviderName } & ProviderAccepted): Promise<void>;
  recordAttemptFailed(input: { messageId: string; provider: ProviderName; code: string; message: string; ambiguous: boolean }): Promise<void>;
  /** Also a late one, for a message that ended `expired` waiting for it (domain/lateReceipts.ts). */
  recordReceipt(input: { messageId: string; report: DeliveryReport; final: boolean }): Promise<void>;
  markFinal(input: { messageId: string; status: 'failed' | 'expired'; code: string; message: string }): Promise<void>;
  applyWinnerRule(input: { templateCode: string }): Promise<{ winner?: string }>;
}

/** What `sendAndRecord` did: the provider's acceptance, recorded in MongoDB unless `recorded` is false. */
export interface SentAndRecorded extends ProviderAccepted {
  /** False when the acceptance could not be stored: the workflow records it (as `recordSent`), never resends. */
  recorded: boolean;
  /** False when the batch could not be told: the workflow signals it instead. */
  slotReleased: boolean;
  /** A receipt that arrived before the send was recorded (db/earlyReceipts.ts). */
  earlyReceipt?: DeliveryReport;
}

export interface ProviderActivities {
  sendViaProvider(input: { messageId: string; provider: ProviderName }): Promise<ProviderAccepted>;
  /**
   * Sends unless this message's send through this provider is already recorded, records the acceptance, takes an
   * early receipt, and frees the batch's window slot (`releaseSlotOf`: the batch workflow id), in one activity.
   */
  sendAndRecord(input: { messageId: string; provider: ProviderName; releaseSlotOf?: string }): Promise<SentAndRecorded>;
  fetchReceipt(input: { messageId: string; provider: ProviderName; providerMessageId: string }): Promise<DeliveryReport | undefined>;
}

export interface BatchPlan {
  total: number;
  /** Epoch ms; absent or past means start now. */
  scheduledAtMs?: number;
  respectQuietHours: boolean;
  messageType: string;
  pageSize: number;
  window: number;
}

/** Sending is allowed from `openAt` until `closeAt` (epoch ms); the workflow asks again after that. */
export interface QuietGate {
  openAt: number;
  closeAt: number;
}

export interface BulkActivities {
  planBatch(input: { batchId: string }): Promise<BatchPlan>;
  /** Creates (idempotently) the messages for recipients from `fromIndex` and returns their message ids in order. */
  prepareBatchPage(input: { batchId: string; fromIndex: number; limit: number }): Promise<string[]>;
  /** The route and policy for the messages of the page about to start, planned once for all of them. */
  planPageSends(input: { batchId: string }): Promise<SendPlan>;
  setBatchStatus(input: { batchId: string; status: 'running' | 'paused' | 'cancelled' | 'completed' }): Promise<void>;
  /** A cancelled batch's prepared messages that no child was started for: each becomes `cancelled` (and says so). */
  cancelUnstarted(input: { batchId: string; messageIds: string[] }): Promise<void>;
  /** Asks started messages of a cancelled batch to stop (the cancel update); how many did, and how many were too late. */
  cancelInFlight(input: { batchId: string; messageIds: string[] }): Promise<InFlightCancels>;
  quietGate(input: Record<string, never>): Promise<QuietGate>;
  /**
   * One scheduled run of a campaign becomes a batch; the id follows from the run, so a retry finds the same one.
   * `paused`: the campaign was paused meanwhile, so the batch starts paused; `cancelled`: it was deleted meanwhile,
   * so the batch starts cancelled and sends nothing.
   */
  createCampaignBatch(input: {
    campaignId: string;
    runId: string;
  }): Promise<{ batchId: string; messageType: string; paused?: boolean; cancelled?: boolean } | null>;
}

export interface OrderActivities {
  /**
   * Texts one order event's template through the normal intake (stored, counted, its own `sms-<id>` workflow), with
   * an idempotency key per order and event so a retry finds the same message. Refusals (template data missing, the
   * number's budget spent) fail with type `OrderTextRefused` and the gateway's code.
   */
  sendOrderText(input: { orderId: string; eventId: string; templateCode: string }): Promise<{ messageId: string }>;
  /**
   * Asks handed texts' messages to cancel, as the API's cancel does: `cancelled` (never texted), or `too_late` (a
   * provider has it, or it ended). Repeatable: a message this already cancelled answers `cancelled` again.
   */
  recallOrderTexts(input: { messageIds: string[] }): Promise<Record<string, 'cancelled' | 'too_late'>>;
  /** Removes an ended order's event documents (phone numbers and template data). */
  forgetOrderEvents(input: { eventIds: string[] }): Promise<void>;
}

/** What asking a cancelled batch's started messages to stop came to. */
export interface InFlightCancels {
  cancelled: number;
  /** A provider had accepted them (or their call was already running and got through). */
  tooLate: number;
  /** Their workflow had already ended. */
  ended: number;
}
