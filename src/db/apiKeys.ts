import { createHash, randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Role } from '../domain/roles';
import type { CredentialCipher, EncryptedSecret } from './credentialCipher';
import { ensureIndexes, type IndexPlan } from './indexes';
import type { MessageType } from '../domain/sms';

export interface ApiKey {
  _id: string;
  name: string;
  role: Role;
  /** sha256 of the secret: the key itself is shown once and never stored. */
  hash: string;
  /** Requests per minute for this key; the global default when absent. */
  rate_limit_per_minute?: number;
  /**
   * The message types this key may send; every type when absent. A marketing tool's key limited to `marketing`
   * cannot label a promotion an order confirmation (which skips opt-outs and quiet hours and has a higher budget).
   */
  message_types?: MessageType[];
  /** Where this key's messages report their status changes unless a message names its own `callback_url`. */
  callback_url?: string;
  /** Signs this key's status callbacks (HMAC); encrypted like provider credentials, shown once when made. */
  callback_secret?: EncryptedSecret;
  created_by: string;
  created_at: Date;
  revoked_at?: Date;
}

export type ApiKeyView = Omit<ApiKey, 'hash' | 'callback_secret'> & { has_callback_secret: boolean };

const newCallbackSecret = (): string => `lgcs_${randomBytes(32).toString('base64url')}`;

const viewOf = ({ hash: _hash, callback_secret, ...rest }: ApiKey): ApiKeyView => ({ ...rest, has_callback_secret: callback_secret !== undefined });

/** The bootstrap admin key (ADMIN_TOKEN) has a fixed id so a changed token replaces the old one. */
export const BOOTSTRAP_KEY_ID = 'key_bootstrap_admin';

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** api_keys: hashed bearer keys with a role; revoked keys stay for the audit trail. */
export class ApiKeyRepository {
  private readonly col: Collection<ApiKey>;

  constructor(
    db: Db,
    /** Seals callback secrets (the provider-credentials key). */
    private readonly cipher: CredentialCipher,
  ) {
    this.col = db.collection<ApiKey>('api_keys');
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    // every authenticated request looks its key up by hash
    await ensureIndexes(this.col, plan, [{ key: { hash: 1 }, name: 'hash_unique', unique: true }]);
  }

  /**
   * Creates a key and returns it with its secrets (the bearer token and the callback signing secret), the only
   * time either exists outside the caller.
   */
  async create(input: {
    name: string;
    role: Role;
    rate_limit_per_minute?: number;
    message_types?: MessageType[];
    callback_url?: string;
    created_by: string;
  }): Promise<{ key: ApiKeyView; token: string; callbackSecret: string }> {
    const id = `key_${randomBytes(8).toString('hex')}`;
    const token = `lgk_${randomBytes(24).toString('base64url')}`;
    const callbackSecret = newCallbackSecret();
    const key: ApiKey = { _id: id, ...input, hash: hashToken(token), callback_secret: this.seal(callbackSecret), created_at: new Date() };
    await this.col.insertOne(key);
    return { key: viewOf(key), token, callbackSecret };
  }

  /** Sets (or, with null, clears) the key's default callback URL; null when the key is unknown or revoked. */
  async setCallbackUrl(id: string, url: string | null): Promise<{ before: ApiKeyView; after: ApiKeyView } | null> {
    const before = await this.col.findOneAndUpdate(
      { _id: id, revoked_at: { $exists: false } },
      url === null ? { $unset: { callback_url: '' } } : { $set: { callback_url: url } },
      { returnDocument: 'before' },
    );
    if (!before) return null;
    const { callback_url: _old, ...rest } = before;
    return { before: viewOf(before), after: viewOf(url === null ? rest : { ...rest, callback_url: url }) };
  }

  /**
   * Replaces the key's callback secret and returns the new one (shown once). Callbacks sent from now on, retries of
   * earlier ones included, are signed with it. Null when the key is unknown or revoked.
   */
  async rotateCallbackSecret(id: string): Promise<{ key: ApiKeyView; callbackSecret: string } | null> {
    const callbackSecret = newCallbackSecret();
    const sealed = this.seal(callbackSecret);
    const before = await this.col.findOneAndUpdate(
      { _id: id, revoked_at: { $exists: false } },
      { $set: { callback_secret: sealed } },
      { returnDocument: 'before' },
    );
    return before ? { key: viewOf({ ...before, callback_secret: sealed }), callbackSecret } : null;
  }

  /** The secret that signs the callbacks of this key's messages; undefined when the key has none or was revoked. */
  async callbackSecret(id: string): Promise<string | undefined> {
    const key = await this.col.findOne({ _id: id });
    if (!key?.callback_secret || key.revoked_at) return undefined;
    return this.cipher.decrypt(key.callback_secret).secret;
  }

  private seal(secret: string): EncryptedSecret {
    return this.cipher.encrypt({ secret });
  }

  /**
   * Makes ADMIN_TOKEN the bootstrap admin key (replacing an earlier token's hash). A revoked key stays revoked
   * while the token is the same: a restart must not bring back a key an admin took away. Returns whether it is.
   */
  async upsertBootstrap(token: string): Promise<{ revoked: boolean }> {
    const hash = hashToken(token);
    const existing = await this.col.findOne({ _id: BOOTSTRAP_KEY_ID });
    if (existing?.hash === hash) return { revoked: Boolean(existing.revoked_at) };
    if (existing) await this.col.deleteOne({ _id: BOOTSTRAP_KEY_ID });
    await this.col.insertOne({
      _id: BOOTSTRAP_KEY_ID,
      name: 'bootstrap admin (ADMIN_TOKEN)',
      role: 'admin',
      hash,
      created_by: 'system',
      created_at: new Date(),
    });
    return { revoked: false };
  }

  /** The active key for a presented token, or null (unknown or revoked). */
  findActiveByToken(token: string): Promise<ApiKey | null> {
    return this.col.findOne({ hash: hashToken(token), revoked_at: { $exists: false } });
  }

  async list(): Promise<ApiKeyView[]> {
    const keys = await this.col.find({}).sort({ created_at: 1 }).toArray();
    return keys.map(viewOf);
  }

  /** Returns the key as it was before revocation, or null if unknown or already revoked. */
  async revoke(id: string): Promise<ApiKeyView | null> {
    // No projection here: FerretDB v1 does not support one on findAndModify.
    const before = await this.col.findOneAndUpdate(
      { _id: id, revoked_at: { $exists: false } },
      { $set: { revoked_at: new Date() } },
      { returnDocument: 'before' },
    );
    return before ? viewOf(before) : null;
  }
}
