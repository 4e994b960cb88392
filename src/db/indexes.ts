import type { Collection, Db, Document, IndexDescription } from 'mongodb';

/**
 * Which of the declared indexes a store gets. Indexes are declared for MongoDB, where queries use them. FerretDB v1
 * (the embedded default) answers only an exact `_id` filter from an index and scans for every other query, yet it
 * builds each declared index as a SQLite expression index over the stored document and maintains it on every insert
 * and update. There a secondary index is pure write cost: the seven of sms_messages made a message's insert and
 * three updates take 1.5–1.75 times the CPU and twice the time holding the database's one writer lock (measured
 * with FerretDB v1.24.2, 2 000 messages). So FerretDB gets only the unique indexes, which enforce a rule.
 */
export interface IndexPlan {
  /** False: only unique indexes are created, and a non-unique one an earlier version created is dropped. */
  secondary: boolean;
}

const INDEX_NOT_FOUND = 27;

/** MongoDB gets every declared index; FerretDB (its buildInfo names its version) only the unique ones. */
export async function indexPlanOf(db: Db): Promise<IndexPlan> {
  const info: Document = await db
    .admin()
    .command({ buildInfo: 1 })
    .catch(() => ({}));
  return { secondary: !('ferretdbVersion' in info) };
}

/**
 * Creates the wanted indexes that are missing, by name, and drops the declared ones the plan leaves out. FerretDB v1
 * crashes the connection when createIndexes names an index that already exists, so existing ones are skipped rather
 * than re-declared (MongoDB would accept both).
 */
export async function ensureIndexes<T extends Document>(col: Collection<T>, plan: IndexPlan, specs: (IndexDescription & { name: string })[]): Promise<void> {
  const existing = new Set(
    (
      await col
        .listIndexes()
        .toArray()
        .catch(() => [])
    ).map((i) => i.name as string),
  );
  const wanted = (spec: IndexDescription) => plan.secondary || spec.unique === true;
  for (const spec of specs.filter((s) => wanted(s) && !existing.has(s.name))) await col.createIndexes([spec]);
  // The API and the worker start together: the other may have dropped it first (27: IndexNotFound).
  for (const spec of specs.filter((s) => !wanted(s) && existing.has(s.name)))
    await col.dropIndex(spec.name).catch((err: { code?: number }) => {
      if (err.code !== INDEX_NOT_FOUND) throw err;
    });
}
