import { askStartedToCancel } from '../../src/activities/bulk';

describe('a cancelled batch asking its started messages to stop', () => {
  it("asks each once, with the batch's update id, and counts the answers", async () => {
    const asked: [string, string][] = [];
    const answers = { a: 'cancelled', b: 'too_late', c: 'cancelled', d: 'ended' } as const;
    const outcomes = await askStartedToCancel('b1', Object.keys(answers), async (id, updateId) => {
      asked.push([id, updateId]);
      return answers[id as keyof typeof answers];
    });
    expect(outcomes).toEqual({ cancelled: 2, tooLate: 1, ended: 1 });
    expect(asked.sort()).toEqual(Object.keys(answers).map((id) => [id, 'batch-cancel:b1']));
  });

  it('keeps at most 100 asks open, and a slow answer holds up no one else', async () => {
    const ids = Array.from({ length: 250 }, (_, i) => `m${i}`);
    let open = 0;
    let mostOpen = 0;
    let releaseSlow: () => void = () => undefined;
    const slow = new Promise<void>((resolve) => (releaseSlow = resolve));
    const done = new Set<string>();
    const asking = askStartedToCancel('b2', ids, async (id) => {
      open += 1;
      mostOpen = Math.max(mostOpen, open);
      if (id === 'm0')
        await slow; // a call a worker is running: its answer waits for the call
      else await new Promise((r) => setImmediate(r));
      open -= 1;
      done.add(id);
      return 'cancelled';
    });
    while (done.size < ids.length - 1) await new Promise((r) => setImmediate(r));
    expect(done.has('m0')).toBe(false);
    releaseSlow();
    expect(await asking).toEqual({ cancelled: 250, tooLate: 0, ended: 0 });
    expect(mostOpen).toBe(100);
  });
});
