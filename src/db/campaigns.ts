import type { Collection, Db } from 'mongodb';
import { ensureIndexes, type IndexPlan } from './indexes';
import { insertUnlessPresent } from './upsert';
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
  /** The campaign's runs are paused: a run that begins meanwhile starts its batch paused. */
  paused?: boolean;
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

  /** Also a deleted campaign: deleting again finishes a delete that failed half-way. */
  getIncludingDeleted(id: string): Promise<Campaign | null> {
    return this.col.findOne({ _id: id });
  }

  /**
   * Pauses or unpauses the campaign's runs. Only the API writes a campaign (FerretDB v1 rewrites a whole document
   * per update, so two writers of one would lose each other's change); a run reads it (CampaignRunRepository).
   */
  async setPaused(id: string, paused: boolean): Promise<void> {
    await this.col.updateOne({ _id: id }, { $set: { paused } });
  }

  /** Kept (marked deleted) so the batches of earlier runs still name the campaign they came from. */
  async markDeleted(id: string): Promise<void> {
    await this.col.updateOne({ _id: id, deleted_at: { $exists: false } }, { $set: { deleted_at: new Date() } });
  }
}

/** One campaign run whose batch has not finished. */
interface CampaignRun {
  /** The run's batch id. */
  _id: string;
  campaign_id: string;
  recorded_at: Date;
}

/**
 * sms_campaign_runs: the runs of every campaign whose batch has not finished, one document each, written only by
 * that run and removed when its batch ends, so the collection stays as small as the runs in progress.
 *
 * How a pause or delete reaches every run without an atomic update: a run records itself, stores its batch, then
 * reads the campaign; the API changes the campaign, then reads these runs and signals each stored batch. Whichever
 * comes second sees the other: the API signals a batch it finds stored, and a run whose batch was not stored yet
 * reads the change itself (activities/bulk.ts createCampaignBatch).
 */
export class CampaignRunRepository {
  private readonly col: Collection<CampaignRun>;

  constructor(db: Db) {
    this.col = db.collection<CampaignRun>('sms_campaign_runs');
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    // a campaign's runs; on FerretDB a scan of the few runs in progress
    await ensureIndexes(this.col, plan, [{ key: { campaign_id: 1 }, name: 'campaign_id' }]);
  }

  async record(campaignId: string, batchId: string): Promise<void> {
    await insertUnlessPresent(this.col, { _id: batchId, campaign_id: campaignId, recorded_at: new Date() });
  }

  /** Batch ids of the campaign's runs in progress. */
  async ofCampaign(campaignId: string): Promise<string[]> {
    return (await this.col.find({ campaign_id: campaignId }).toArray()).map((r) => r._id);
  }

  /** The batch has finished (or never will start): the run is no longer the campaign's to pause or cancel. */
  async forget(batchId: string): Promise<void> {
    await this.col.deleteOne({ _id: batchId });
  }
}
