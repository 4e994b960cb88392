import type { Collection } from 'mongodb';
import { CoalescingWriter } from '../../src/db/coalescingWriter';

/** A collection that records updates and answers each when the test says so. */
function recordingCollection() {
  const updates: { id: string; update: Record<string, unknown>; done: () => void }[] = [];
  const col = {
    updateOne: (filter: { _id: string }, update: Record<string, unknown>) =>
      new Promise<void>((resolve) => updates.push({ id: filter._id, update, done: resolve })),
  } as unknown as Collection<{ _id: string }>;
  return { col, updates };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('CoalescingWriter', () => {
  it('merges the changes that arrive while a document lingers into one update', async () => {
    const { col, updates } = recordingCollection();
    const writer = new CoalescingWriter(col, 8, 30);
    const writes = [writer.apply('day', { inc: { a: 1 } }), writer.apply('day', { inc: { a: 2 } }), writer.apply('day', { push: { e: ['x'] } })];
    await sleep(10);
    expect(updates).toHaveLength(0);
    await sleep(40);
    expect(updates).toHaveLength(1);
    expect(updates[0].update).toEqual({ $inc: { a: 3 }, $push: { e: { $each: ['x'] } } });
    updates[0].done();
    await Promise.all(writes);
  });

  it('writes an urgent change at once, taking the lingering ones with it', async () => {
    const { col, updates } = recordingCollection();
    const writer = new CoalescingWriter(col, 8, 10_000);
    const batch = writer.apply('day', { inc: { batch: 1 } });
    const urgent = writer.apply('day', { inc: { order: 1 } }, true);
    await sleep(5);
    expect(updates.map((u) => u.update)).toEqual([{ $inc: { batch: 1, order: 1 } }]);
    updates[0].done();
    await Promise.all([batch, urgent]);
  });

  it('leaves no timer behind once a document has nothing more to write', async () => {
    jest.useFakeTimers();
    try {
      const { col, updates } = recordingCollection();
      const writer = new CoalescingWriter(col, 8, 200);
      const write = writer.apply('day', { inc: { a: 1 } });
      await jest.advanceTimersByTimeAsync(200);
      expect(updates).toHaveLength(1);
      updates[0].done();
      await write;
      await jest.advanceTimersByTimeAsync(0);
      // It used to linger once more with nothing pending, then take a write slot for no write.
      expect(jest.getTimerCount()).toBe(0);
    } finally {
      jest.useRealTimers();
    }
  });

  it('gives the next free write slot to an urgent document ahead of waiting ones', async () => {
    const { col, updates } = recordingCollection();
    const writer = new CoalescingWriter(col, 1);
    const first = writer.apply('busy', { inc: { n: 1 } });
    const waiting = writer.apply('batch', { inc: { n: 1 } });
    const urgent = writer.apply('order', { inc: { n: 1 } }, true);
    await sleep(5);
    expect(updates.map((u) => u.id)).toEqual(['busy']);
    updates[0].done();
    await sleep(5);
    expect(updates.map((u) => u.id)).toEqual(['busy', 'order']);
    updates[1].done();
    await sleep(5);
    updates[2].done();
    await Promise.all([first, waiting, urgent]);
    expect(updates.map((u) => u.id)).toEqual(['busy', 'order', 'batch']);
  });
});
