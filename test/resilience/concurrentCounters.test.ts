import { randomUUID } from 'node:crypto';
import { withDb } from '../helpers';
import { AlertRepository } from '../../src/db/alerts';
import { ProviderGeneration } from '../../src/db/providerDirectory';
import { ProviderHealthRepository } from '../../src/db/providerHealth';
import { RateCounterRepository } from '../../src/db/rateCounters';

/** 8 concurrent writers, 100 writes each, as the requests or activities of one process would. */
const eightTimesHundred = (write: () => Promise<unknown>) =>
  Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = 0; i < 100; i++) await write();
    }),
  );
/** A day long past, so these counts never meet the running stack's daily limits or alert windows. */
const pastDay = () => new Date(Date.UTC(2001, 0, 1) + Math.floor(Math.random() * 1e6) * 1000);

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
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 25; i++) await counters.decrement(scope, start);
        }),
      );
      expect((await db.collection('rate_counters').findOne({ _id: `${scope}@${start.getTime()}` as never }))?.count).toBe(600);
    });
  });

  it('keeps every concurrent provider send in the day usage that daily limits and budgets read', async () => {
    await withDb(async (db) => {
      const health = new ProviderHealthRepository(db, new ProviderGeneration(db));
      const day = pastDay();
      await eightTimesHundred(() => health.addSend('mitake', day, 0.5, 1));
      const usage = (await health.usageOn(day)).get('mitake');
      expect(usage).toMatchObject({ messages: 800, spend: 400, points: 800 });
    });
  });

  it('keeps every concurrent event count the alert rules read', async () => {
    await withDb(async (db) => {
      const alerts = new AlertRepository(db);
      const at = pastDay();
      const kind = `test_${randomUUID()}`;
      await eightTimesHundred(() => alerts.countEvent(kind, at));
      expect(await alerts.eventsSince(kind, new Date(at.getTime() - 1000))).toBe(800);
    });
  });
});
