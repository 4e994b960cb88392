import { EventEmitter } from 'node:events';
import { type MongoClient, MongoBulkWriteError, MongoNetworkError } from 'mongodb';
import { StoreHealth, isStoreUnreachable } from '../../src/db/storeHealth';

/** A store whose pings the test answers (or not), and a clock it moves. */
function harness() {
  let now = 0;
  const pending: (() => void)[] = [];
  const client = new EventEmitter() as unknown as Pick<MongoClient, 'on'>;
  const health = new StoreHealth(client, 1_000, () => now);
  const ping = () => new Promise<void>((resolve) => pending.push(resolve));
  return {
    health,
    probe: () => health.probeOnce(ping),
    advance: (ms: number) => (now += ms),
    answerAll: async () => {
      for (const answer of pending.splice(0)) answer();
      await new Promise((r) => setImmediate(r));
    },
    pings: () => pending.length,
    topologyChanged: (hasDataBearingServers: boolean) =>
      (client as unknown as EventEmitter).emit('topologyDescriptionChanged', { newDescription: { hasDataBearingServers } }),
  };
}

describe('the store health seen by the API', () => {
  it('turns down when a ping stays unanswered past the limit (a hung store), and up when it is answered', async () => {
    const h = harness();
    h.probe();
    h.advance(900);
    expect(h.health.down).toBe(false);
    h.advance(200);
    expect(h.health.down).toBe(true);
    await h.answerAll();
    expect(h.health.down).toBe(false);
  });

  it('keeps one ping out at a time, so a hung store does not pile them up', () => {
    const h = harness();
    for (let i = 0; i < 5; i++) h.probe();
    expect(h.pings()).toBe(1);
  });

  it('follows the driver when it loses and finds the server', () => {
    const h = harness();
    h.topologyChanged(false);
    expect(h.health.down).toBe(true);
    h.topologyChanged(true);
    expect(h.health.down).toBe(false);
  });

  it('wakes a request waiting on the store once the store is found hung, and not a request that finished', async () => {
    const h = harness();
    const waiting = h.health.untilDown();
    const finished = h.health.untilDown();
    finished.cancel();
    const woken: string[] = [];
    void waiting.promise.then(() => woken.push('waiting'));
    void finished.promise.then(() => woken.push('finished'));
    h.probe();
    h.advance(1_100);
    h.probe(); // the next tick of the watch finds the ping overdue
    await new Promise((r) => setImmediate(r));
    expect(woken).toEqual(['waiting']);
  });

  it('tells an insert that lost its connection (a bulk write error wrapping it) from one the store refused', () => {
    expect(isStoreUnreachable(new MongoBulkWriteError(new MongoNetworkError('connection 6 closed'), {} as never))).toBe(true);
    const refused = new MongoBulkWriteError({ message: 'duplicate key', code: 11000, writeErrors: [{ index: 0, code: 11000 }] } as never, {} as never);
    expect(isStoreUnreachable(refused)).toBe(false);
    expect(isStoreUnreachable(new MongoNetworkError('reset'))).toBe(true);
  });
});
