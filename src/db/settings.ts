import type { Collection, Db } from 'mongodb';
import type { ContentPolicy } from '../domain/contentPolicy';
import type { QuietWindow } from '../domain/quietHours';

interface SettingDoc<T> {
  _id: string;
  value: T;
  updated_at: Date;
  updated_by: string;
}

/** settings: operator-editable service settings, read at the moment they matter (no restart to change them). */
export class SettingsRepository {
  private readonly col: Collection<SettingDoc<unknown>>;

  constructor(db: Db) {
    this.col = db.collection<SettingDoc<unknown>>('settings');
  }

  async ensureIndexes(): Promise<void> {
    // lookups are by _id only
  }

  async quietHours(fallback: QuietWindow[]): Promise<QuietWindow[]> {
    const doc = (await this.col.findOne({ _id: 'quiet_hours' })) as SettingDoc<QuietWindow[]> | null;
    return doc?.value ?? fallback;
  }

  async contentPolicy(fallback: ContentPolicy): Promise<ContentPolicy> {
    const doc = (await this.col.findOne({ _id: 'content_policy' })) as SettingDoc<ContentPolicy> | null;
    return doc?.value ?? fallback;
  }

  async setContentPolicy(policy: ContentPolicy, by: string): Promise<void> {
    await this.col.replaceOne({ _id: 'content_policy' }, { value: policy, updated_at: new Date(), updated_by: by }, { upsert: true });
  }

  async setQuietHours(windows: QuietWindow[], by: string): Promise<void> {
    await this.col.replaceOne({ _id: 'quiet_hours' }, { value: windows, updated_at: new Date(), updated_by: by }, { upsert: true });
  }
}
