import { KeyedSerial } from '../../src/db/keyedSerial';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedSerial', () => {
  it('runs calls under one key one after another, in order, and other keys meanwhile', async () => {
    const serial = new KeyedSerial();
    const log: string[] = [];
    const step = (name: string) => async () => {
      log.push(`${name} start`);
      await tick();
      log.push(`${name} end`);
      return name;
    };
    const results = await Promise.all([serial.run('a', step('a1')), serial.run('a', step('a2')), serial.run('b', step('b1'))]);
    expect(results).toEqual(['a1', 'a2', 'b1']);
    expect(log.indexOf('a2 start')).toBeGreaterThan(log.indexOf('a1 end'));
    expect(log.indexOf('b1 start')).toBeLessThan(log.indexOf('a1 end'));
  });

  it('goes on with the next call after one that failed, and forgets a key once its calls are done', async () => {
    const serial = new KeyedSerial();
    const failed = serial.run('a', async () => {
      throw new Error('store down');
    });
    const next = serial.run('a', async () => 'next');
    await expect(failed).rejects.toThrow('store down');
    await expect(next).resolves.toBe('next');
    await tick();
    expect((serial as unknown as { tails: Map<string, unknown> }).tails.size).toBe(0);
  });
});
