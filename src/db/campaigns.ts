import type { Collection, Db, UpdateFilter } from 'mongodb';
import type { MessageType } from '../domain/sms';
import type { BatchRecipient } from './batches';

/** A recurring bulk send: its Temporal Schedule (`campaign-<id>`) turns each run into a batch of its own. */
export interface Campaign {
  _id: string;
  name: string;
  /** Cron expressions, evaluated in Asia/Taipei. */
  cron: string[];
  message_type: MessageType;
  template_code?: string;
  message?: string;
  respect_quiet_hours: boolean;
  recipients: Omit<BatchRecipient, '_id' | 'batch_id'>[];
  created_by: string;
  created_at: Date;
  deleted_at?: Date;
  /** A keyed create's body, hashed, and its first rejected rows: what a repeat of the key must match and is answered. */
  idempotency_fingerprint?: string;
  rejections?: { index: number; phone: string; reason: string }[];
  /** Set before the schedule is paused: a run that starts meanwhile starts its batch paused. */
  paused?: boolean;
  /** Batches of runs not yet known to have finished, which the campaign's pause, unpause and delete reach too. */
  open_runs?: string[];
}

/** sms_campaigns: the list and content each scheduled run sends; lookups by `_id` only. */
export class CampaignRepository {
  private readonly col: Collection<Campaign>;

  constructor(db: Db) {
    this.col = db.collection<Campaign>('sms_campaigns');
  }

  async ensureIndexes(): Promise<void> {
    // lookups are by _id; listing reads the few campaigns there are
  }

  async create(campaign: Campaign): Promise<void> {
    await this.col.insertOne(campaign);
  }

  /** A campaign whose schedule could not be created: never run, so nothing refers to it. */
  async remove(id: string): Promise<void> {
    await this.col.deleteOne({ _id: id });
  }

  get(id: string): Promise<Campaign | null> {
    return this.col.findOne({ _id: id, deleted_at: { $exists: false } });
  }

  list(): Promise<Campaign[]> {
    return this.col
      .find({ deleted_at: { $exists: false } }, { projection: { recipients: 0 } })
      .sort({ created_at: -1 })
      .toArray();
  }

  /**
   * A run's batch joins the campaign's open runs; answers whether the campaign is paused, or null once it is deleted.
   * One atomic change of the campaign, as pause, unpause and delete are: either they see this run, or it sees them.
   */
  async recordRun(id: string, batchId: string): Promise<{ paused: boolean } | null> {
    const campaign = await this.col.findOneAndUpdate(
      { _id: id, deleted_at: { $exists: false } },
      { $addToSet: { open_runs: batchId } },
      // No projection: FerretDB's findAndModify refuses one (its `fields`).
      { returnDocument: 'after' },
    );
    return campaign ? { paused: campaign.paused ?? false } : null;
  }

  /** Pauses or unpauses the campaign's future runs; answers its open runs (null when there is no such campaign). */
  async setPaused(id: string, paused: boolean): Promise<string[] | null> {
    return this.openRunsAfter(id, { $set: { paused } });
  }

  /** Kept (marked deleted) so the batches of earlier runs still name the campaign they came from; answers its open runs. */
  async markDeleted(id: string): Promise<string[]> {
    return (await this.openRunsAfter(id, { $set: { deleted_at: new Date() } })) ?? [];
  }

  /** Runs whose batches have finished: nothing more to pause or cancel there. */
  async forgetRuns(id: string, batchIds: string[]): Promise<void> {
    if (batchIds.length > 0) await this.col.updateOne({ _id: id }, { $pull: { open_runs: { $in: batchIds } } });
  }

  private async openRunsAfter(id: string, update: UpdateFilter<Campaign>): Promise<string[] | null> {
    const campaign = await this.col.findOneAndUpdate({ _id: id }, update, { returnDocument: 'after' });
    return campaign ? (campaign.open_runs ?? []) : null;
  }
}
