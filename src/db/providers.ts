import type { Collection, Db } from 'mongodb';
import { ensureIndexes } from './indexes';
import type { ProviderName } from '../domain/sms';
import type { CredentialCipher, EncryptedSecret } from './credentialCipher';

/** Non-secret, per-provider settings: endpoints and sender identity. */
export interface ProviderSettings {
  /** Twilio REST base URL (default https://api.twilio.com); Every8d/Mitake API base URL. */
  api_url: string;
  from_number?: string;
  messaging_service_sid?: string;
  /** Set when the row points at the bundled simulator, so a restart on other ports can re-point it. */
  simulated?: boolean;
}

export interface ProviderRow {
  _id: ProviderName;
  is_active: boolean;
  priority: number;
  rate_limit: number;
  price_per_segment: number;
  daily_limit: number;
  settings: ProviderSettings;
  credentials: EncryptedSecret;
  created_at: Date;
  updated_at: Date;
}

/** A provider with its credentials decrypted, for adapters only; never returned by the API. */
export interface ProviderConfig extends Omit<ProviderRow, 'credentials'> {
  credentials: Record<string, string>;
}

export interface ProviderSeed extends Omit<ProviderRow, 'credentials' | 'created_at' | 'updated_at'> {
  credentials: Record<string, string>;
}

/** sms_providers: `_id` is the provider name; credentials only ever stored encrypted. */
export class ProviderRepository {
  private readonly col: Collection<ProviderRow>;

  constructor(
    db: Db,
    private readonly cipher: CredentialCipher,
  ) {
    this.col = db.collection<ProviderRow>('sms_providers');
  }

  async ensureIndexes(): Promise<void> {
    // routing reads active providers by priority; the _id index covers lookups by name
    await ensureIndexes(this.col, [{ key: { is_active: 1, priority: -1 }, name: 'active_priority' }]);
  }

  /**
   * Creates missing providers and never touches an operator's edits. Rows that point at the bundled simulator are
   * re-pointed at its current address (and credentials), since that changes with the ports it runs on.
   */
  async seed(seeds: ProviderSeed[], now = new Date()): Promise<void> {
    for (const { credentials, ...seed } of seeds) {
      const encrypted = this.cipher.encrypt(credentials);
      await this.col.updateOne(
        { _id: seed._id },
        { $setOnInsert: { ...seed, credentials: encrypted, created_at: now, updated_at: now } },
        { upsert: true },
      );
      if (seed.settings.simulated) {
        await this.col.updateOne(
          { _id: seed._id, 'settings.simulated': true },
          { $set: { 'settings.api_url': seed.settings.api_url, credentials: encrypted } },
        );
      }
    }
  }

  async list(): Promise<ProviderRow[]> {
    return this.col.find({}).sort({ priority: -1 }).toArray();
  }

  async get(name: ProviderName): Promise<ProviderConfig | null> {
    const row = await this.col.findOne({ _id: name });
    return row && { ...row, credentials: this.cipher.decrypt(row.credentials) };
  }
}
