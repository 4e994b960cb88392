import type { SmsMessage, StatusChangeListener } from '../db/messages';
import { TemporalOutbox } from '../db/temporalOutbox';
import type { SmsStatus } from '../domain/sms';
import { statusCallbackId, type StatusCallbackInput } from '../domain/statusCallback';

/**
 * Turns a message's status changes into status callbacks (for messages that have a callback URL; others cost
 * nothing). Each change gets the next sequence number, written with the change itself, and an outbox entry written
 * just before it; once the change is stored the callback's workflow is started without waiting for it, so the send
 * never waits on Temporal for a callback. A start that does not happen (no client yet, Temporal down, a crash) is
 * made by the outbox relay.
 */
export class StatusCallbacks implements StatusChangeListener {
  private start?: (callback: StatusCallbackInput) => Promise<void>;

  constructor(private readonly outbox: TemporalOutbox) {}

  /** Gives the worker's Temporal client; until then every callback waits for the relay. */
  startWith(start: (callback: StatusCallbackInput) => Promise<void>): void {
    this.start = start;
  }

  async beforeStatusChange(before: SmsMessage, after: SmsMessage, now: Date): Promise<{ set: Partial<SmsMessage>; written(): void } | undefined> {
    if (!before.callback) return undefined;
    const previous = lastReported(before);
    // `sending` is a moment (the provider call), not a state a caller acts on; an unchanged status is no news.
    if (after.status === 'sending' || after.status === previous) return undefined;
    const sequence = (before.callback_seq ?? 0) + 1;
    const callback: StatusCallbackInput = {
      callbackId: statusCallbackId(before._id, sequence),
      url: before.callback.url,
      keyId: before.callback.key_id,
      payload: {
        message_id: before._id,
        sequence,
        status: after.status,
        previous_status: previous,
        provider: after.provider ?? null,
        provider_message_id: after.provider_message_id ?? null,
        error: after.error_code && after.status !== 'delivered' && after.status !== 'sent' ? { code: after.error_code } : null,
        occurred_at: now.toISOString(),
        reference: referenceOf(after),
      },
    };
    const entryId = TemporalOutbox.startCallbackId(callback.callbackId);
    // Replaced, not kept: an entry under this sequence number can only be left by a step that died before its change
    // was stored, and what is stored now may differ (a receipt came meanwhile, a retry failed over). The relay
    // starts the entry once the message shows this sequence, so it must say what the message says.
    await this.outbox.put({ _id: entryId, kind: 'start_callback', message_id: before._id, callback, queued_at: now });
    return {
      set: { callback_seq: sequence, callback_status: after.status },
      written: () => {
        const start = this.start;
        if (!start) return;
        // Not awaited: the relay repeats a start that fails, and the send goes on meanwhile.
        start(callback)
          .then(() => this.outbox.remove(entryId))
          .catch(() => undefined);
      },
    };
  }
}

/** The status the last callback reported; before the first, the status the 202 answer gave (the stored one). */
function lastReported(message: SmsMessage): SmsStatus {
  return message.callback_status ?? (message.status === 'sending' ? 'queued' : message.status);
}

/** The caller's own reference, when the message has one (a field added with per-key references). */
function referenceOf(message: SmsMessage): string | null {
  const reference = (message as SmsMessage & { reference?: unknown }).reference;
  return typeof reference === 'string' ? reference : null;
}
