import type { Db } from 'mongodb';
import { inBulkLane, inLane, lanedDb } from '../../src/db/lanes';

/** A Db whose collections answer with the name of the pool they belong to. */
const fakeDb = (pool: string) => ({ databaseName: pool, collection: (name: string) => ({ collectionName: name, findOne: async () => pool }) }) as unknown as Db;

describe('database lanes', () => {
  const db = lanedDb(fakeDb('main'), fakeDb('bulk'));
  const messages = db.collection('sms_messages');

  it('sends a call through the pool of the lane the caller runs in, deciding per call', async () => {
    expect(await messages.findOne({})).toBe('main');
    expect(await inBulkLane(() => messages.findOne({}))).toBe('bulk');
    expect(await inBulkLane(async () => [await messages.findOne({}), await inLane(false, () => messages.findOne({}))])).toEqual(['bulk', 'main']);
    expect(messages.collectionName).toBe('sms_messages');
  });

  it('keeps the lane across awaits inside the lane', async () => {
    const seen = await inBulkLane(async () => {
      await new Promise((r) => setTimeout(r, 5));
      return messages.findOne({});
    });
    expect(seen).toBe('bulk');
  });

  it('answers everything but collections from the main Db', () => {
    expect(db.databaseName).toBe('main');
  });
});
