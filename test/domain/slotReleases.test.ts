import { SlotReleaseGroups } from '../../src/temporal/slotReleases';

/** A signal function that records each signal and delivers or fails it when the test says so. */
function recordingSignals() {
  const sent: { batch: string; ids: string[]; deliver: () => void; fail: (err: Error) => void }[] = [];
  const signal = (batch: string, ids: string[]) => new Promise<void>((deliver, fail) => sent.push({ batch, ids, deliver, fail }));
  return { signal, sent };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tick = () => new Promise((r) => setImmediate(r));

describe('SlotReleaseGroups', () => {
  it("sends one batch's releases within the linger as one signal, and settles them only once it is delivered", async () => {
    const { signal, sent } = recordingSignals();
    const groups = new SlotReleaseGroups(signal, 30);
    const settled: string[] = [];
    const releases = ['m1', 'm2', 'm3'].map((id) => groups.release('bulk-a', id).then(() => settled.push(id)));
    await tick();
    expect(sent).toHaveLength(0); // still lingering
    await sleep(60);
    expect(sent.map((s) => [s.batch, s.ids])).toEqual([['bulk-a', ['m1', 'm2', 'm3']]]);
    await tick();
    expect(settled).toEqual([]); // not freed before the batch has the signal
    sent[0].deliver();
    await Promise.all(releases);
    expect(settled).toEqual(['m1', 'm2', 'm3']);
  });

  it('keeps batches apart and starts a new group after a signal went', async () => {
    const { signal, sent } = recordingSignals();
    const groups = new SlotReleaseGroups(signal, 20);
    const first = [groups.release('bulk-a', 'a1'), groups.release('bulk-b', 'b1'), groups.release('bulk-a', 'a2')];
    await sleep(50);
    const later = groups.release('bulk-a', 'a3');
    await sleep(50);
    expect(sent.map((s) => [s.batch, s.ids])).toEqual([
      ['bulk-a', ['a1', 'a2']],
      ['bulk-b', ['b1']],
      ['bulk-a', ['a3']],
    ]);
    for (const s of sent) s.deliver();
    await Promise.all([...first, later]);
  });

  it('fails exactly the releases of a failed signal', async () => {
    const { signal, sent } = recordingSignals();
    const groups = new SlotReleaseGroups(signal, 10);
    const failed = [groups.release('bulk-a', 'm1'), groups.release('bulk-a', 'm2')];
    await sleep(30);
    const next = groups.release('bulk-a', 'm3');
    await sleep(30);
    sent[0].fail(new Error('server unavailable'));
    sent[1].deliver();
    for (const release of failed) await expect(release).rejects.toThrow('server unavailable');
    await expect(next).resolves.toBeUndefined();
  });

  it('sends a full group at once, without waiting out the linger', async () => {
    const { signal, sent } = recordingSignals();
    const groups = new SlotReleaseGroups(signal, 60_000, 3);
    const releases = ['m1', 'm2', 'm3', 'm4'].map((id) => groups.release('bulk-a', id));
    await tick();
    expect(sent.map((s) => s.ids)).toEqual([['m1', 'm2', 'm3']]);
    sent[0].deliver();
    await Promise.all(releases.slice(0, 3));
    // The fourth waits for its own linger; end it by filling its group.
    const more = ['m5', 'm6'].map((id) => groups.release('bulk-a', id));
    await tick();
    expect(sent.map((s) => s.ids)).toEqual([
      ['m1', 'm2', 'm3'],
      ['m4', 'm5', 'm6'],
    ]);
    sent[1].deliver();
    await Promise.all([releases[3], ...more]);
  });
});
