import type { Db, IndexDescription } from 'mongodb';
import { ensureIndexes } from '../../src/db/indexes';
import { isFerretDb, randomMobile, sendSms, withDb } from '../helpers';

const names = async (db: Db, collection: string) => (await db.collection(collection).listIndexes().toArray()).map((i) => i.name as string).sort();

describe('indexes per store', () => {
  it('gives the stack store the unique indexes always and the secondary ones only on MongoDB', async () => {
    // A stored message, so that sms_messages exists however this file runs (FerretDB creates a collection lazily).
    expect((await sendSms({ phone: randomMobile(), message: '【幸福氣】索引測試', message_type: 'order_confirmation' })).status).toBe(202);
    await withDb(async (db) => {
      const ferret = await isFerretDb(db);
      // Created by the stack's own start-up (createRepositories).
      expect(await names(db, 'sms_templates')).toContain('code_unique');
      expect(await names(db, 'api_keys')).toContain('hash_unique');
      const messageIndexes = await names(db, 'sms_messages');
      if (ferret) expect(messageIndexes.filter((n) => n !== '_id_')).toEqual([]);
      else expect(messageIndexes).toEqual(expect.arrayContaining(['created_at_id', 'phone_created_at', 'status_created_at']));
    });
  });

  it('drops a secondary index an earlier version created when the store cannot use it, and keeps the unique one', async () => {
    await withDb(async (db) => {
      const col = db.collection(`index_plan_${Date.now()}`);
      await col.insertOne({ _id: 'a', code: 'x', at: new Date() } as never);
      const specs: (IndexDescription & { name: string })[] = [
        { key: { code: 1 }, name: 'code_unique', unique: true },
        { key: { at: -1 }, name: 'at' },
      ];
      try {
        await ensureIndexes(col, { secondary: true }, specs);
        expect(await names(db, col.collectionName)).toEqual(['_id_', 'at', 'code_unique']);
        await ensureIndexes(col, { secondary: false }, specs);
        expect(await names(db, col.collectionName)).toEqual(['_id_', 'code_unique']);
        // Run again (every start-up does): nothing left to create or drop.
        await ensureIndexes(col, { secondary: false }, specs);
        expect(await names(db, col.collectionName)).toEqual(['_id_', 'code_unique']);
        // The API and the worker start together: the other process dropped it after this one listed it.
        await ensureIndexes(col, { secondary: true }, specs);
        const listed = await col.listIndexes().toArray();
        await col.dropIndex('at');
        const listedEarlier = new Proxy(col, {
          get(target, prop) {
            if (prop === 'listIndexes') return () => ({ toArray: async () => listed });
            const value = Reflect.get(target, prop, target);
            return typeof value === 'function' ? value.bind(target) : value;
          },
        });
        await ensureIndexes(listedEarlier, { secondary: false }, specs);
        expect(await names(db, col.collectionName)).toEqual(['_id_', 'code_unique']);
        // The unique index still holds its rule.
        await expect(col.insertOne({ _id: 'b', code: 'x' } as never)).rejects.toMatchObject({ code: 11000 });
      } finally {
        await col.drop();
      }
    });
  });
});
