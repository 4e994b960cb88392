import { createHash, randomBytes } from 'node:crypto';
import type { Collection, Db } from 'mongodb';
import type { Role } from '../domain/roles';
import { ensureIndexes } from './indexes';

export interface ApiKey {
  _id: string;
  name: string;
  role: Role;
  /** sha256 of the secret: the key itself is shown once and never stored. */
  hash: string;
  /** Requests per minute for this key; the global default when absent. */
  rate_limit_per_minute?: number;
  created_by: string;
  created_at: Date;
  revoked_at?: Date;
}

export type ApiKeyView = Omit<ApiKey, 'hash'>;

/** The bootstrap admin key (ADMIN_TOKEN) has a fixed id so a changed token replaces the old one. */
export const BOOTSTRAP_KEY_ID = 'key_bootstrap_admin';

export const hashToken = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

/** api_keys: hashed bearer keys with a role; revoked keys stay for the audit trail. */
export class ApiKeyRepository {
  private readonly col: Collection<ApiKey>;

  constructor(db: Db) {
    this.col = db.collection<ApiKey>('api_keys');
  }

  async ensureIndexes(): Promise<void> {
    // every authenticated request looks its key up by hash
    await ensureIndexes(this.col, [{ key: { hash: 1 }, name: 'hash_unique', unique: true }]);
  }

  /** Creates a key and returns it with its secret, the only time the secret exists outside the caller. */
  async create(input: { name: string; role: Role; rate_limit_per_minute?: number; created_by: string }): Promise<{ key: ApiKeyView; token: string }> {
    const id = `key_${randomBytes(8).toString('hex')}`;
    const token = `lgk_${randomBytes(24).toString('base64url')}`;
    const key: ApiKey = { _id: id, ...input, hash: hashToken(token), created_at: new Date() };
    await this.col.insertOne(key);
    const { hash: _hash, ...view } = key;
    return { key: view, token };
  }

  /** Makes ADMIN_TOKEN the bootstrap admin key (replacing an earlier token's hash). */
  async upsertBootstrap(token: string): Promise<void> {
    const hash = hashToken(token);
    const existing = await this.col.findOne({ _id: BOOTSTRAP_KEY_ID });
    if (existing?.hash === hash) return;
    if (existing) await this.col.deleteOne({ _id: BOOTSTRAP_KEY_ID });
    await this.col.insertOne({
      _id: BOOTSTRAP_KEY_ID,
      name: 'bootstrap admin (ADMIN_TOKEN)',
      role: 'admin',
      hash,
      created_by: 'system',
      created_at: new Date(),
    });
  }

  /** The active key for a presented token, or null (unknown or revoked). */
  findActiveByToken(token: string): Promise<ApiKey | null> {
    return this.col.findOne({ hash: hashToken(token), revoked_at: { $exists: false } });
  }

  list(): Promise<ApiKeyView[]> {
    return this.col
      .find({}, { projection: { hash: 0 } })
      .sort({ created_at: 1 })
      .toArray();
  }

  /** Returns the key as it was before revocation, or null if unknown or already revoked. */
  async revoke(id: string): Promise<ApiKeyView | null> {
    // No projection here: FerretDB v1 does not support one on findAndModify.
    const before = await this.col.findOneAndUpdate(
      { _id: id, revoked_at: { $exists: false } },
      { $set: { revoked_at: new Date() } },
      { returnDocument: 'before' },
    );
    if (!before) return null;
    const { hash: _hash, ...view } = before;
    return view;
  }
}
