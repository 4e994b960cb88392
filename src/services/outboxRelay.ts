import type { Client } from '@temporalio/client';
import type { DeliveryReport } from '../domain/sms';
import type { BatchRepository } from '../db/batches';
import type { MessageRepository } from '../db/messages';
import type { OutboxEntry, TemporalOutbox } from '../db/temporalOutbox';
import type { Logger } from '../log';
import { BoundedTemporal } from '../temporal/boundedCalls';
import { signalReceipt, startBatchWorkflow, startLateReceiptWorkflow, startSendWorkflow } from '../temporal/starts';
import { takesLateReceipt } from '../domain/lateReceipts';
import { startStatusCallbackWorkflow } from '../temporal/callbackStarts';

export interface RelayDeps {
  outbox: TemporalOutbox;
  messages: MessageRepository;
  batches: BatchRepository;
  client: Client;
  log: Logger;
  /** Start entries younger than this are still being handled by the intake that wrote them. */
  graceMs?: number;
  /** An entry whose message or batch never got stored (its intake died in between) is dropped after this. */
  orphanAfterMs?: number;
}

export interface RoundResult {
  done: number;
  left: number;
}

/**
 * Makes the Temporal calls intake could not: starts the workflows of stored messages and batches that have none,
 * and signals receipts that arrived while Temporal was down. Every call is repeatable (see temporal/starts.ts), so
 * a start that did reach Temporal before its confirmation was lost — or a second relay in another replica — only
 * finds the workflow already there. An entry is removed once its call is confirmed, never before.
 */
export class OutboxRelay {
  private readonly temporal: BoundedTemporal;

  constructor(private readonly deps: RelayDeps) {
    // A longer wait than on a request path: nobody is waiting on the relay. No pause: each round tries again.
    this.temporal = new BoundedTemporal(deps.client, 5_000, 0);
  }

  /** One pass over the due entries, oldest first; stops at the first Temporal failure (it is down: try next round). */
  async runOnce(now = new Date()): Promise<RoundResult> {
    // A start entry is written before intake tries the start itself, so a young one is left to that intake; a
    // receipt entry is written only once its signal failed, so it is due at once (its workflow is waiting).
    const startsBefore = now.getTime() - (this.deps.graceMs ?? 5_000);
    const entries = (await this.deps.outbox.all()).filter((e) => e.kind === 'receipt' || e.queued_at.getTime() < startsBefore);
    let done = 0;
    for (const entry of entries) {
      const outcome = await this.relay(entry, now);
      if (outcome === 'unreachable') break;
      if (outcome === 'done') {
        // As read: a status callback's entry written again meanwhile names a change not stored yet (it is due later).
        await this.deps.outbox.removeIfUnchanged(entry);
        done += 1;
      }
    }
    if (done > 0) this.deps.log.info('outbox relayed to Temporal', { done, left: entries.length - done });
    return { done, left: entries.length - done };
  }

  /** Runs rounds every intervalMs until stopped; a round never overlaps the next. */
  start(intervalMs: number): { stop(): Promise<void> } {
    let stopped = false;
    let current: Promise<unknown> = Promise.resolve();
    let timer: NodeJS.Timeout | undefined;
    const loop = () => {
      current = this.runOnce()
        .catch((err) => this.deps.log.warn('outbox relay round failed', { error: String(err) }))
        .finally(() => {
          if (!stopped) timer = setTimeout(loop, intervalMs);
        });
    };
    timer = setTimeout(loop, intervalMs);
    return {
      stop: async () => {
        stopped = true;
        clearTimeout(timer);
        await current;
      },
    };
  }

  /**
   * Signalled first, as intake does; only a workflow that has closed meanwhile needs the message read. If it ended
   * `expired` waiting for this very receipt (Temporal was down past the deadline), the receipt is applied late.
   * A failed read fails the call, and the entry is tried again next round.
   */
  private async deliverReceipt(client: Client, messageId: string, report: DeliveryReport): Promise<void> {
    if ((await signalReceipt(client, messageId, report)) === 'signalled') return;
    const message = await this.deps.messages.findById(messageId);
    if (message && takesLateReceipt(message, report)) await startLateReceiptWorkflow(client, message, report);
  }

  private async relay(entry: OutboxEntry, now: Date): Promise<'done' | 'wait' | 'unreachable'> {
    const orphan = now.getTime() - entry.queued_at.getTime() > (this.deps.orphanAfterMs ?? 60_000);
    let call: (client: Client) => Promise<unknown>;
    if (entry.kind === 'start_message') {
      const message = await this.deps.messages.findById(entry.message_id);
      if (!message) return orphan ? 'done' : 'wait';
      if (message.finished_at) return 'done';
      call = (client) => startSendWorkflow(client, message);
    } else if (entry.kind === 'start_batch') {
      const batch = await this.deps.batches.get(entry.batch_id);
      if (!batch) return orphan ? 'done' : 'wait';
      call = (client) => startBatchWorkflow(client, batch);
    } else if (entry.kind === 'start_callback') {
      // Written just before its status change: due once the change is stored; dropped if the change never was.
      const message = await this.deps.messages.findById(entry.message_id);
      if ((message?.callback_seq ?? 0) < entry.callback.payload.sequence) return orphan ? 'done' : 'wait';
      call = (client) => startStatusCallbackWorkflow(client, entry.callback);
    } else {
      call = (client) => this.deliverReceipt(client, entry.message_id, entry.report);
    }
    const result = await this.temporal.call(call);
    if (result.ok) return 'done';
    this.deps.log.warn('outbox relay: Temporal did not take the call; retrying next round', { kind: entry.kind, id: entry._id, reason: result.reason });
    return 'unreachable';
  }
}
