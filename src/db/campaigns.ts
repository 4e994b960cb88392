import type { Collection, Db } from 'mongodb';
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

  get(id: string): Promise<Campaign | null> {
    return this.col.findOne({ _id: id, deleted_at: { $exists: false } });
  }

  list(): Promise<Campaign[]> {
    return this.col
      .find({ deleted_at: { $exists: false } }, { projection: { recipients: 0 } })
      .sort({ created_at: -1 })
      .toArray();
  }

  /** Kept (marked deleted) so the batches of earlier runs still name the campaign they came from. */
  async markDeleted(id: string): Promise<void> {
    await this.col.updateOne({ _id: id }, { $set: { deleted_at: new Date() } });
  }
}
