import type { Collection, Db } from 'mongodb';
import { ensureIndexes, type IndexPlan } from './indexes';
import type { ProviderName } from '../domain/sms';
import type { CredentialCipher, EncryptedSecret } from './credentialCipher';
import type { ProviderGeneration } from './providerDirectory';

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
  /** Messages per Asia/Taipei day; 0 = unlimited. */
  daily_limit: number;
  /** TWD per Asia/Taipei day; 0 = unlimited. */
  daily_budget: number;
  /** Circuit breaker tuning for this provider; the worker's defaults when absent. */
  circuit_failure_threshold?: number;
  circuit_cooldown_ms?: number;
  /** Prepaid points below which `balance_low` fires; ALERT_LOW_BALANCE_POINTS when absent, 0 = no alert. */
  balance_alert_below?: number;
  settings: ProviderSettings;
  credentials: EncryptedSecret;
  created_at: Date;
  updated_at: Date;
}

/** A provider with its credentials decrypted, for adapters only; never returned by the API. */
export interface ProviderConfig extends Omit<ProviderRow, 'credentials'> {
  credentials: Record<string, string>;
}

export interface ProviderChange {
  is_active?: boolean;
  priority?: number;
  rate_limit?: number;
  price_per_segment?: number;
  daily_limit?: number;
  daily_budget?: number;
  circuit_failure_threshold?: number;
  circuit_cooldown_ms?: number;
  balance_alert_below?: number;
  settings?: Partial<ProviderSettings>;
  credentials?: Record<string, string>;
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
    /** Announces every change to the workers' provider directories. */
    private readonly generation: ProviderGeneration,
  ) {
    this.col = db.collection<ProviderRow>('sms_providers');
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    // routing reads active providers by priority; the _id index covers lookups by name
    await ensureIndexes(this.col, plan, [{ key: { is_active: 1, priority: -1 }, name: 'active_priority' }]);
  }

  /**
   * Creates missing providers and never touches an operator's edits. Rows that point at the bundled simulator are
   * re-pointed at its current address (and credentials), since that changes with the ports it runs on.
   */
  async seed(seeds: ProviderSeed[], now = new Date()): Promise<void> {
    for (const { credentials, ...seed } of seeds) {
      const encrypted = this.cipher.encrypt(credentials);
      await this.col.updateOne({ _id: seed._id }, { $setOnInsert: { ...seed, credentials: encrypted, created_at: now, updated_at: now } }, { upsert: true });
      if (seed.settings.simulated) {
        await this.col.updateOne(
          { _id: seed._id, 'settings.simulated': true },
          { $set: { 'settings.api_url': seed.settings.api_url, credentials: encrypted } },
        );
      }
    }
    await this.generation.bump(now);
  }

  async list(): Promise<ProviderRow[]> {
    return this.col.find({}).sort({ priority: -1 }).toArray();
  }

  async get(name: ProviderName): Promise<ProviderConfig | null> {
    const row = await this.col.findOne({ _id: name });
    return row && this.configOf(row);
  }

  /** A row with its credentials decrypted, for adapters only. */
  configOf(row: ProviderRow): ProviderConfig {
    return { ...row, credentials: this.cipher.decrypt(row.credentials) };
  }

  getRow(name: ProviderName): Promise<ProviderRow | null> {
    return this.col.findOne({ _id: name });
  }

  /**
   * Key rotation: re-encrypts every provider's credentials that an older key sealed with the current key, so that
   * key can then be dropped from CREDENTIALS_PREVIOUS_KEYS without locking anyone out. Each row is replaced only
   * if its ciphertext is still the one read (an admin edit in between already re-encrypted it). A row no
   * configured key opens is left as it is and reported.
   */
  async reencryptCredentials(
    now = new Date(),
  ): Promise<{ reencrypted: ProviderName[]; current: ProviderName[]; unreadable: { provider: ProviderName; reason: string }[] }> {
    const result = { reencrypted: [] as ProviderName[], current: [] as ProviderName[], unreadable: [] as { provider: ProviderName; reason: string }[] };
    for (const row of await this.col.find({}).toArray()) {
      if (this.cipher.isCurrent(row.credentials.kid)) {
        result.current.push(row._id);
        continue;
      }
      let plain: Record<string, string>;
      try {
        plain = this.cipher.decrypt(row.credentials);
      } catch (err) {
        result.unreadable.push({ provider: row._id, reason: (err as Error).message });
        continue;
      }
      const { matchedCount } = await this.col.updateOne(
        { _id: row._id, 'credentials.kid': row.credentials.kid, 'credentials.iv': row.credentials.iv },
        { $set: { credentials: this.cipher.encrypt(plain), updated_at: now } },
      );
      (matchedCount === 1 ? result.reencrypted : result.current).push(row._id);
    }
    if (result.reencrypted.length) await this.generation.bump(now);
    return result;
  }

  /**
   * Creates or changes a provider (admin API). Credentials are merged with the stored ones and re-encrypted with
   * the current key; an operator-set endpoint stops the row from following the bundled simulator.
   */
  async upsert(name: ProviderName, change: ProviderChange, now = new Date()): Promise<ProviderRow> {
    const current = await this.get(name);
    const credentials = { ...current?.credentials, ...change.credentials };
    const settings: ProviderSettings = { ...(current?.settings ?? { api_url: '' }), ...change.settings };
    if (change.settings?.api_url) delete settings.simulated;
    const row: ProviderRow = {
      _id: name,
      is_active: change.is_active ?? current?.is_active ?? true,
      priority: change.priority ?? current?.priority ?? 0,
      rate_limit: change.rate_limit ?? current?.rate_limit ?? 10,
      price_per_segment: change.price_per_segment ?? current?.price_per_segment ?? 0,
      daily_limit: change.daily_limit ?? current?.daily_limit ?? 0,
      daily_budget: change.daily_budget ?? current?.daily_budget ?? 0,
      ...optional('circuit_failure_threshold', change.circuit_failure_threshold ?? current?.circuit_failure_threshold),
      ...optional('circuit_cooldown_ms', change.circuit_cooldown_ms ?? current?.circuit_cooldown_ms),
      ...optional('balance_alert_below', change.balance_alert_below ?? current?.balance_alert_below),
      settings,
      credentials: this.cipher.encrypt(credentials),
      created_at: current?.created_at ?? now,
      updated_at: now,
    };
    await this.col.replaceOne({ _id: name }, row, { upsert: true });
    await this.generation.bump(now);
    return row;
  }
}

const optional = <K extends string, V>(key: K, value: V | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, V>));
