import { randomUUID } from 'node:crypto';
import { withDb } from '../helpers';
import { RateCounterRepository } from '../../src/db/rateCounters';

/** FerretDB v1 applies `$inc` as read, change, rewrite: concurrent increments of one document lose updates unless queued. */
describe('rate counters under concurrent requests', () => {
  it('keeps all 800 of 8 concurrent writers × 100 increments on one key, each seeing a distinct count', async () => {
    await withDb(async (db) => {
      const counters = new RateCounterRepository(db);
      const scope = `test:${randomUUID()}`;
      const start = new Date(Math.floor(Date.now() / 60_000) * 60_000);
      const end = new Date(start.getTime() + 60_000);
      const seen: number[] = [];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 100; i++) seen.push(await counters.increment(scope, start, end));
        }),
      );
      expect(new Set(seen).size).toBe(800);
      expect(Math.max(...seen)).toBe(800);
      expect((await db.collection('rate_counters').findOne({ _id: `${scope}@${start.getTime()}` as never }))?.count).toBe(800);

      // Given-back increments are exact too.
      await Promise.all(Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 25; i++) await counters.decrement(scope, start);
      }));
      expect((await db.collection('rate_counters').findOne({ _id: `${scope}@${start.getTime()}` as never }))?.count).toBe(600);
    });
  });
});
