import { AsyncLocalStorage } from 'node:async_hooks';
import type { Collection, Db, Document } from 'mongodb';

/**
 * Two lanes to the database: campaign work takes a small connection pool of its own, everything else (API requests,
 * order and delivery notices, receipts) the main pool. The small pool is a bulkhead: however many batch messages are
 * in flight, at most that many of their commands wait at the store at once; the rest queue in this process. On the
 * embedded store every write waits for the one SQLite writer, so without it an order confirmation's ten round trips
 * each queued behind a whole window of batch writes (seconds). The work a campaign does in total is the same.
 *
 * The lane is carried by async context: code runs in the bulk lane inside `inBulkLane(fn)`, and every collection of
 * a laned Db sends each call through the client of the caller's lane.
 */
const lane = new AsyncLocalStorage<'bulk' | 'main'>();

export const inBulkLane = <T>(fn: () => T): T => lane.run('bulk', fn);
export const inMainLane = <T>(fn: () => T): T => lane.run('main', fn);
export const inLane = <T>(bulk: boolean, fn: () => T): T => (bulk ? inBulkLane(fn) : inMainLane(fn));
export const isBulkLane = (): boolean => lane.getStore() === 'bulk';

/** A Db whose collections run each call on `bulk`'s client in the bulk lane and on `main`'s otherwise. */
export function lanedDb(main: Db, bulk: Db): Db {
  return new Proxy(main, {
    get(target, prop, receiver) {
      if (prop === 'collection') return (name: string) => lanedCollection(main.collection(name), bulk.collection(name));
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

function lanedCollection<T extends Document>(main: Collection<T>, bulk: Collection<T>): Collection<T> {
  return new Proxy(main, {
    get(_target, prop) {
      const col = isBulkLane() ? bulk : main;
      const value = Reflect.get(col, prop, col);
      return typeof value === 'function' ? value.bind(col) : value;
    },
  });
}
