import { LatestValueWriter } from '../../src/db/latestValueWriter';

describe('LatestValueWriter', () => {
  it('writes the first value at once and only the newest of a burst after the interval', async () => {
    const written: number[] = [];
    const writer = new LatestValueWriter<number>(async (v) => void written.push(v), 50);
    writer.set('every8d', 10);
    for (const v of [9, 8, 7]) writer.set('every8d', v);
    await writer.flush();
    expect(written).toEqual([10, 7]);
  });

  it('keeps keys apart and survives a failed write', async () => {
    const written: string[] = [];
    let fail = true;
    const writer = new LatestValueWriter<string>(async (v) => {
      if (fail) {
        fail = false;
        throw new Error('database is locked');
      }
      written.push(v);
    }, 0);
    writer.set('a', 'a1');
    await writer.flush();
    writer.set('a', 'a2');
    writer.set('b', 'b1');
    await writer.flush();
    expect(written.sort()).toEqual(['a2', 'b1']);
  });
});
