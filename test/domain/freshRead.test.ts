import { FreshRead } from '../../src/db/freshRead';

/** A read whose answers the test releases by hand, counting how many reads were started. */
function controlledRead() {
  const pending: ((value: number) => void)[] = [];
  let started = 0;
  const read = () =>
    new Promise<number>((resolve) => {
      started += 1;
      pending.push(resolve);
    });
  return { read, started: () => started, answer: (value: number) => pending.shift()!(value) };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('FreshRead', () => {
  it('shares one read among callers who arrive while none is running', async () => {
    const source = controlledRead();
    const fresh = new FreshRead(source.read);
    const answers = Promise.all([fresh.get()]);
    source.answer(1);
    expect(await answers).toEqual([1]);
    expect(source.started()).toBe(1);
  });

  it('never hands a caller a read that started before its call; late callers share the next read', async () => {
    const source = controlledRead();
    const fresh = new FreshRead(source.read);
    const first = fresh.get();
    const late = [fresh.get(), fresh.get(), fresh.get()];
    expect(source.started()).toBe(1);
    source.answer(1); // the value as of before the late callers asked
    expect(await first).toBe(1);
    await tick();
    expect(source.started()).toBe(2);
    source.answer(2);
    expect(await Promise.all(late)).toEqual([2, 2, 2]);
  });

  it('serves the last answer to a caller whose unit of work started before that read did', async () => {
    const source = controlledRead();
    const fresh = new FreshRead(source.read);
    const workStarted = Date.now();
    const first = fresh.get(workStarted);
    source.answer(1);
    expect(await first).toBe(1);
    expect(await fresh.get(workStarted)).toBe(1);
    expect(source.started()).toBe(1);
    const later = fresh.get(Date.now() + 1_000); // work that started after the last read: it reads again
    expect(source.started()).toBe(2);
    source.answer(2);
    expect(await later).toBe(2);
  });

  it('starts a new read after a failed one, and passes the failure to its callers only', async () => {
    let calls = 0;
    const fresh = new FreshRead(async () => {
      calls += 1;
      if (calls === 1) throw new Error('database is locked');
      return calls;
    });
    await expect(fresh.get()).rejects.toThrow('database is locked');
    await expect(fresh.get()).resolves.toBe(2);
  });
});
