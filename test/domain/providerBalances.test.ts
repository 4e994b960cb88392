import type { Db } from 'mongodb';
import { type ProviderBalance, ProviderBalanceRepository } from '../../src/db/providerBalances';

/** provider_balances in memory, counting reads and writes: what routing costs the store is the point here. */
function fakeDb() {
  const docs = new Map<string, ProviderBalance>();
  const counts = { reads: 0, writes: 0 };
  const col = {
    find: () => ({ toArray: async () => (counts.reads++, [...docs.values()]) }),
    // As MongoDB and FerretDB do: a filter that misses an existing _id makes the upsert a duplicate insert.
    replaceOne: async (filter: { _id: string; observed_at?: { $lte: Date } }, doc: ProviderBalance) => {
      counts.writes++;
      const stored = docs.get(filter._id);
      if (stored && filter.observed_at && !(stored.observed_at <= filter.observed_at.$lte)) throw Object.assign(new Error('E11000'), { code: 11000 });
      docs.set(filter._id, doc);
    },
  };
  return { db: { collection: () => col } as unknown as Db, docs, counts };
}

describe('ProviderBalanceRepository', () => {
  it('routes by what this process saw at once, and stores a burst of replies as one write per interval', async () => {
    const { db, docs, counts } = fakeDb();
    const balances = new ProviderBalanceRepository(db, 1_000, 40);
    // One millisecond for the whole burst, as a fast burst often is: the later reply is still the newer figure.
    const at = new Date();
    for (let points = 10; points > 0; points--) balances.observe('every8d', points, 'send_reply', at);
    expect((await balances.current()).get('every8d')?.points).toBe(1);
    await balances.flush();
    expect(counts.writes).toBe(2); // the first figure at once, then the newest after the interval
    expect(docs.get('every8d')?.points).toBe(1);
  });

  it('reads the store at most once per interval however many messages are routed', async () => {
    const { db, counts } = fakeDb();
    const balances = new ProviderBalanceRepository(db, 1_000, 0);
    const now = Date.now();
    await Promise.all(Array.from({ length: 50 }, (_, i) => balances.current(now + i)));
    expect(counts.reads).toBe(1);
    await balances.current(now + 1_000);
    expect(counts.reads).toBe(2);
  });

  it('never stores an older figure over a newer one (a reply that waited its turn behind a balance query)', async () => {
    const { db, docs } = fakeDb();
    const balances = new ProviderBalanceRepository(db, 0, 0);
    docs.set('every8d', { _id: 'every8d', points: 900, source: 'balance_query', observed_at: new Date('2026-11-25T01:05:00Z') });
    balances.observe('every8d', 12, 'send_reply', new Date('2026-11-25T01:04:59Z'));
    await balances.flush();
    expect(docs.get('every8d')).toMatchObject({ points: 900, source: 'balance_query' });
    balances.observe('every8d', 850, 'send_reply', new Date('2026-11-25T01:06:00Z'));
    await balances.flush();
    expect(docs.get('every8d')).toMatchObject({ points: 850, source: 'send_reply' });
  });

  it('prefers a newer stored figure (another worker, the balance query) over an older one seen here', async () => {
    const { db, docs } = fakeDb();
    const balances = new ProviderBalanceRepository(db, 0, 0);
    balances.observe('mitake', 0, 'no_credit_reply', new Date('2026-11-25T01:00:00Z'));
    await balances.flush();
    docs.set('mitake', { _id: 'mitake', points: 5_000, source: 'balance_query', observed_at: new Date('2026-11-25T01:05:00Z') });
    expect((await balances.current()).get('mitake')).toMatchObject({ points: 5_000, source: 'balance_query' });
  });
});
