import type { Collection, Db } from 'mongodb';
import { ensureIndexes, type IndexPlan } from './indexes';

export interface AuditEntry {
  at: Date;
  /** Principal id that acted (`admin`, an API key id, `system` for automatic decisions). */
  actor: string;
  action: string;
  target: { type: string; id: string };
  before?: unknown;
  after?: unknown;
}

/** audit_log: append-only record of administrative changes. Callers pass values with secrets already removed. */
export class AuditRepository {
  private readonly col: Collection<AuditEntry>;

  constructor(db: Db) {
    this.col = db.collection<AuditEntry>('audit_log');
  }

  async ensureIndexes(plan: IndexPlan): Promise<void> {
    await ensureIndexes(this.col, plan, [
      // history of one object, newest first
      { key: { 'target.type': 1, 'target.id': 1, at: -1 }, name: 'target_at' },
      // the audit log listing, newest first
      { key: { at: -1 }, name: 'at' },
    ]);
  }

  async record(entry: Omit<AuditEntry, 'at'>): Promise<void> {
    await this.col.insertOne({ at: new Date(), ...entry });
  }

  list(filter: { action?: string; targetType?: string; targetId?: string; before?: Date; limit: number }): Promise<AuditEntry[]> {
    const query: Record<string, unknown> = {};
    if (filter.action) query.action = filter.action;
    if (filter.targetType) query['target.type'] = filter.targetType;
    if (filter.targetId) query['target.id'] = filter.targetId;
    if (filter.before) query.at = { $lt: filter.before };
    return this.col
      .find(query, { projection: { _id: 0 } })
      .sort({ at: -1 })
      .limit(filter.limit)
      .toArray();
  }
}
