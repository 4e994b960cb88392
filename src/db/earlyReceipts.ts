import type { Collection, Db } from 'mongodb';
import type { DeliveryReport, ProviderName } from '../domain/sms';
import { upsertRacing } from './upsert';

interface EarlyReceipt {
  /** `<provider>:<provider message id>`, the same key as sms_provider_refs: a point read, even on FerretDB. */
  _id: string;
  report: DeliveryReport;
  held_at: Date;
}

/**
 * sms_early_receipts: receipts that arrived before their send was recorded (Every8d pushes by its BatchID, which
 * we learn only from the send's answer). The send activity takes its receipt from here right after storing the
 * provider-id ref, so the workflow gets it without waiting for a poll.
 *
 * Race-free by ordering: the webhook holds the receipt *then* looks the ref up again; the send stores the ref
 * *then* takes held receipts. Whichever writes second sees the other's write, so a receipt is never lost (at
 * worst both deliver it, and the workflow and the guarded receipt write ignore the repeat).
 */
export class EarlyReceiptRepository {
  private readonly col: Collection<EarlyReceipt>;

  constructor(db: Db) {
    this.col = db.collection<EarlyReceipt>('sms_early_receipts');
  }

  async ensureIndexes(): Promise<void> {
    // Only point reads by _id.
  }

  async hold(report: DeliveryReport): Promise<void> {
    const _id = `${report.provider}:${report.providerMessageId}`;
    // The first receipt wins; a repeat of it changes nothing.
    await upsertRacing(() => this.col.updateOne({ _id }, { $setOnInsert: { report, held_at: new Date() } }, { upsert: true }));
  }

  /**
   * Retention: receipts no send came to take. Every8d's callback covers the whole account, so receipts of sends
   * made by other systems on it are held too, and would otherwise stay for ever.
   */
  async deleteHeldBefore(cutoff: Date): Promise<number> {
    return (await this.col.deleteMany({ held_at: { $lt: cutoff } })).deletedCount;
  }

  /** The held receipt of this send, removed as it is handed over (the workflow then owns it). */
  async take(provider: ProviderName, providerMessageId: string): Promise<DeliveryReport | undefined> {
    // Asked for every send and almost always absent: a point read, and a write only when there is something.
    const _id = `${provider}:${providerMessageId}`;
    const held = await this.col.findOne({ _id });
    if (held) await this.col.deleteOne({ _id });
    return held?.report;
  }
}
