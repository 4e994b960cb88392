import type { Collection, Document, OptionalUnlessRequiredId } from 'mongodb';

/** A write refused because a document with that `_id` (or unique key) exists: MongoDB and FerretDB both say 11000. */
export const isDuplicateKey = (err: unknown): boolean => (err as { code?: number } | null)?.code === 11000;

/**
 * Runs an upsert, once more if it lost a race: two upserts of the same new `_id` can both try to insert, and the
 * loser fails with a duplicate key (MongoDB and FerretDB alike). The retry finds the document and updates it.
 */
export async function upsertRacing<T>(upsert: () => Promise<T>): Promise<T> {
  try {
    return await upsert();
  } catch (err) {
    if (!isDuplicateKey(err)) throw err;
    return upsert();
  }
}

/** Inserts the document unless one with its `_id` is there; true when this call inserted it, so the first one wins. */
export async function insertUnlessPresent<T extends Document>(col: Collection<T>, doc: OptionalUnlessRequiredId<T>): Promise<boolean> {
  try {
    await col.insertOne(doc);
    return true;
  } catch (err) {
    if (isDuplicateKey(err)) return false;
    throw err;
  }
}
