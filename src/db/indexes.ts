import type { Collection, Document, IndexDescription } from 'mongodb';

/**
 * Creates the indexes that are missing, by name. FerretDB v1 crashes the connection when createIndexes names
 * an index that already exists, so existing ones are skipped rather than re-declared (MongoDB would accept both).
 */
export async function ensureIndexes<T extends Document>(col: Collection<T>, specs: (IndexDescription & { name: string })[]): Promise<void> {
  const existing = new Set(
    (
      await col
        .listIndexes()
        .toArray()
        .catch(() => [])
    ).map((i) => i.name as string),
  );
  const missing = specs.filter((s) => !existing.has(s.name));
  for (const spec of missing) await col.createIndexes([spec]);
}
