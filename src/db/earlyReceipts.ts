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
 * we learn only from the send's answer). The send activity reads its receipt from here right after storing the
 * provider-id ref, so the workflow gets it without waiting for a poll; the receipt's record removes it.
 *
 * Race-free by ordering: the webhook holds the receipt *then* looks the ref up again; the send stores the ref
 * *then* reads held receipts. Whichever writes second sees the other's write, so a receipt is never lost (at
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

  /**
   * The held receipt of this send, marked `heldEarly`. Left in place: the send activity hands it over in its result,
   * which is durable only once the activity completes, so a worker dying before that must find it again on retry.
   * The receipt's record removes it (`forget`). Asked for every send and almost always absent: one point read.
   */
  async heldFor(provider: ProviderName, providerMessageId: string): Promise<DeliveryReport | undefined> {
    const held = await this.col.findOne({ _id: `${provider}:${providerMessageId}` });
    return held ? { ...held.report, heldEarly: true } : undefined;
  }

  /** The workflow has the receipt (its record is in the history): the held copy can go. */
  async forget(report: DeliveryReport): Promise<void> {
    await this.col.deleteOne({ _id: `${report.provider}:${report.providerMessageId}` });
  }
}
