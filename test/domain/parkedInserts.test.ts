import { type Collection, MongoBulkWriteError, MongoClient, MongoNetworkError } from 'mongodb';
import { type DropReason, ParkedInserts } from '../../src/db/parkedInserts';

type Row = { n: number; text?: string };

/**
 * A collection whose inserts answer as the test says: `down` (the store cannot be reached), `hang` (never answers), or
 * stored, except for the rows `refuse` names (a write error, as a store refusing a document gives).
 */
function scriptedStore() {
  const stored: number[] = [];
  const state = { down: true, hang: false, refuse: new Set<number>(), duplicate: new Set<number>(), inserts: 0 };
  const col = {
    insertMany: async (rows: Row[]) => {
      state.inserts += 1;
      if (state.hang) return new Promise(() => undefined);
      // What the driver throws when a connection fails during the insert: a bulk write error naming no write errors.
      if (state.down) throw new MongoBulkWriteError(new MongoNetworkError('connect ECONNREFUSED'), {} as never);
      const writeErrors: { index: number; code: number }[] = [];
      rows.forEach((row, index) => {
        if (state.refuse.has(row.n)) writeErrors.push({ index, code: 2 });
        else if (state.duplicate.has(row.n)) writeErrors.push({ index, code: 11000 });
        else stored.push(row.n);
      });
      if (writeErrors.length > 0) throw new MongoBulkWriteError({ message: 'write errors', code: writeErrors[0].code, writeErrors } as never, {} as never);
    },
  } as unknown as Collection<Row>;
  return { col, state, stored };
}

function parkedRows(col: Collection<Row>, overrides: Partial<ConstructorParameters<typeof ParkedInserts<Row>>[1]> = {}) {
  const dropped: Partial<Record<DropReason, number>> = {};
  const parked = new ParkedInserts<Row>(col, {
    maxRows: 100,
    maxBytes: 1_000_000,
    sizeOf: (row) => 10 + (row.text?.length ?? 0),
    maxRefusals: 3,
    insertTimeoutMs: 200,
    retryEveryMs: 20,
    rowsPerInsert: 2,
    onDrop: (reason, rows) => {
      dropped[reason] = (dropped[reason] ?? 0) + rows;
    },
    ...overrides,
  });
  return { parked, dropped };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(done: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not reached');
    await sleep(10);
  }
}

describe('ParkedInserts', () => {
  it('counts the rows of an insert in flight as pending until it answers, and none once they are stored', async () => {
    const { col, state, stored } = scriptedStore();
    const { parked } = parkedRows(col, { insertTimeoutMs: 60_000 });
    state.down = false;
    let answer: (() => void) | undefined;
    const insert = col.insertMany.bind(col);
    (col as unknown as { insertMany: unknown }).insertMany = (rows: Row[]) =>
      new Promise<void>((resolve) => (answer = () => resolve(insert(rows as never) as never)));
    parked.park({ n: 1 });
    parked.park({ n: 2 });
    await until(() => answer !== undefined);
    // Both rows are out of the queue, in the insert that has not answered yet: still pending.
    expect(parked.size).toBe(0);
    expect(parked.pending).toBe(2);
    answer!();
    await until(() => parked.pending === 0);
    expect(stored).toEqual([1, 2]);
  });

  it('keeps rows while the store is down and writes them oldest first once it answers, then stops retrying', async () => {
    const { col, state, stored } = scriptedStore();
    const { parked, dropped } = parkedRows(col);
    for (const n of [1, 2, 3, 4, 5]) parked.park({ n });
    await sleep(100);
    expect(stored).toEqual([]);
    expect(parked.size).toBe(5);
    state.down = false;
    await until(() => parked.size === 0);
    expect(stored).toEqual([1, 2, 3, 4, 5]);
    const inserts = state.inserts;
    await sleep(100);
    expect(state.inserts).toBe(inserts);
    expect(dropped).toEqual({});
  });

  it('keeps rows when the real driver cannot reach the store', async () => {
    const client = new MongoClient('mongodb://127.0.0.1:1/', { serverSelectionTimeoutMS: 100, connectTimeoutMS: 100 });
    try {
      const { parked, dropped } = parkedRows(client.db('unreachable').collection<Row>('rows'), { retryEveryMs: 10, insertTimeoutMs: 5_000 });
      parked.park({ n: 1 });
      await sleep(400); // several tries, each refused by server selection
      expect(parked.size).toBe(1);
      expect(dropped).toEqual({});
      await expect(parked.writeAllBefore(Date.now())).resolves.toBe(1);
    } finally {
      await client.close();
    }
  });

  it('counts a duplicate key as stored by an earlier try, and gives up a row the store keeps refusing', async () => {
    const { col, state, stored } = scriptedStore();
    const { parked, dropped } = parkedRows(col);
    state.down = false;
    state.duplicate.add(1);
    state.refuse.add(2);
    for (const n of [1, 2, 3]) parked.park({ n });
    await until(() => parked.size === 0);
    expect(stored).toEqual([3]);
    expect(dropped).toEqual({ refused: 1 });
    expect(state.inserts).toBe(3); // [1, 2], then [2, 3], then [2]: row 2 refused three times in all
  });

  it('drops the oldest rows past the row cap or the byte cap, and counts them', async () => {
    const { col } = scriptedStore();
    const byRows = parkedRows(col, { maxRows: 3 });
    for (const n of [1, 2, 3, 4, 5]) byRows.parked.park({ n });
    expect(byRows.parked.size).toBe(3);
    expect(byRows.dropped).toEqual({ overflow: 2 });

    const byBytes = parkedRows(col, { maxBytes: 250 });
    for (const n of [1, 2, 3]) byBytes.parked.park({ n, text: 'x'.repeat(90) });
    expect(byBytes.parked.size).toBe(2);
    expect(byBytes.dropped).toEqual({ overflow: 1 });
    await byRows.parked.writeAllBefore(Date.now());
    await byBytes.parked.writeAllBefore(Date.now());
  });

  it('does not let an insert that never answers hold up the next tries', async () => {
    const { col, state, stored } = scriptedStore();
    const { parked } = parkedRows(col);
    state.down = false;
    state.hang = true;
    parked.park({ n: 1 });
    await until(() => state.inserts === 1);
    state.hang = false;
    await until(() => parked.size === 0 && stored.length === 1);
    expect(stored).toEqual([1]);
  });

  it('at shutdown writes what waits if the store answers, and otherwise gives it up by the deadline', async () => {
    const answering = scriptedStore();
    answering.state.down = false;
    answering.state.hang = true; // the periodic retry is stuck on a hung insert when the shutdown comes
    const first = parkedRows(answering.col, { retryEveryMs: 10, insertTimeoutMs: 100 });
    for (const n of [1, 2, 3]) first.parked.park({ n });
    await until(() => answering.state.inserts === 1);
    answering.state.hang = false;
    await expect(first.parked.writeAllBefore(Date.now() + 2_000)).resolves.toBe(0);
    expect(answering.stored).toEqual([1, 2, 3]);

    const hung = scriptedStore();
    hung.state.hang = true;
    const second = parkedRows(hung.col, { insertTimeoutMs: 60_000 });
    for (const n of [1, 2, 3]) second.parked.park({ n });
    // Returns by the deadline, not when the hung insert would time out (which is past the test's own timeout).
    await expect(second.parked.writeAllBefore(Date.now() + 300)).resolves.toBe(3);
    expect(second.dropped).toEqual({ shutdown: 3 });
    second.parked.park({ n: 4 }); // a receipt taken while the process stops: counted, not kept
    expect(second.dropped).toEqual({ shutdown: 4 });
    expect(second.parked.size).toBe(0);
  });
});
