/**
 * Runs an upsert, once more if it lost a race: two upserts of the same new `_id` can both try to insert, and the
 * loser fails with a duplicate key (MongoDB and FerretDB alike). The retry finds the document and updates it.
 */
export async function upsertRacing<T>(upsert: () => Promise<T>): Promise<T> {
  try {
    return await upsert();
  } catch (err) {
    if ((err as { code?: number }).code !== 11000) throw err;
    return upsert();
  }
}
