import type { Collection } from 'mongodb';
import { GroupInsert } from '../../src/db/groupInsert';

/** A collection that records inserts and settles each when the test says so. */
function recordingCollection() {
  const inserts: { docs: unknown[]; done: () => void; fail: (err: Error) => void }[] = [];
  const col = {
    insertMany: (docs: unknown[]) => new Promise<void>((resolve, reject) => inserts.push({ docs, done: resolve, fail: reject })),
  } as unknown as Collection<{ n: number }>;
  return { col, inserts };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('GroupInsert', () => {
  it('writes a row at once when idle, and the rows that arrive meanwhile together in the next insert', async () => {
    const { col, inserts } = recordingCollection();
    const rows = new GroupInsert(col);
    const settled: number[] = [];
    const first = rows.add({ n: 1 }).then(() => settled.push(1));
    const later = [2, 3, 4].map((n) => rows.add({ n }).then(() => settled.push(n)));
    await tick();
    expect(inserts.map((i) => i.docs)).toEqual([[{ n: 1 }]]);
    inserts[0].done();
    await first;
    await tick();
    expect(settled).toEqual([1]); // the others are not acknowledged before their own insert
    expect(inserts.map((i) => i.docs)).toEqual([[{ n: 1 }], [{ n: 2 }, { n: 3 }, { n: 4 }]]);
    inserts[1].done();
    await Promise.all(later);
    expect(settled).toEqual([1, 2, 3, 4]);
  });

  it('fails exactly the rows of a failed insert and keeps writing the next ones', async () => {
    const { col, inserts } = recordingCollection();
    const rows = new GroupInsert(col);
    const failed = rows.add({ n: 1 });
    const next = rows.add({ n: 2 });
    await tick();
    inserts[0].fail(new Error('store down'));
    await expect(failed).rejects.toThrow('store down');
    await tick();
    inserts[1].done();
    await expect(next).resolves.toBeUndefined();
  });

  it('splits a long queue into inserts of at most maxRows', async () => {
    const { col, inserts } = recordingCollection();
    const rows = new GroupInsert(col, 2);
    const all = [1, 2, 3, 4, 5].map((n) => rows.add({ n }));
    for (let i = 0; i < 3; i++) {
      await tick();
      inserts[i].done();
    }
    await Promise.all(all);
    expect(inserts.map((i) => i.docs.length)).toEqual([1, 2, 2]);
  });
});
