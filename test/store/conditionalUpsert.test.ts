import { randomUUID } from 'node:crypto';
import { withDb } from '../helpers';

/** What provider_balances' "never over a newer figure" write relies on, checked against the stack's own store. */
describe('a conditional upsert on the store', () => {
  it('refuses as a duplicate key when the _id exists but the condition misses, and replaces when it holds', async () => {
    await withDb(async (db) => {
      const col = db.collection<{ _id: string; at: Date; v: number }>(`conditional_upsert_${randomUUID().slice(0, 8)}`);
      await col.insertOne({ _id: 'p', at: new Date(2_000), v: 1 });
      await expect(col.replaceOne({ _id: 'p', at: { $lte: new Date(1_000) } }, { at: new Date(1_000), v: 2 }, { upsert: true })).rejects.toMatchObject({
        code: 11000,
      });
      expect(await col.findOne({ _id: 'p' })).toMatchObject({ v: 1 });
      await col.replaceOne({ _id: 'p', at: { $lte: new Date(3_000) } }, { at: new Date(3_000), v: 3 }, { upsert: true });
      expect(await col.findOne({ _id: 'p' })).toMatchObject({ v: 3 });
      // the same instant replaces too: ties go to the later write
      await col.replaceOne({ _id: 'p', at: { $lte: new Date(3_000) } }, { at: new Date(3_000), v: 4 }, { upsert: true });
      expect(await col.findOne({ _id: 'p' })).toMatchObject({ v: 4 });
      await col.drop();
    });
  });
});
