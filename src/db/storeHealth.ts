import { MongoNetworkError, MongoNotConnectedError, MongoServerSelectionError, MongoTopologyClosedError, type MongoClient } from 'mongodb';

/**
 * Whether the driver currently knows a MongoDB server it can use, from its own topology events. When the store
 * goes away the driver learns it from the first failed operation (or its heartbeat); from then on requests are
 * answered 503 at once instead of each waiting out server selection, until a heartbeat finds the server again.
 */
export class StoreHealth {
  private usable = true;

  constructor(client: MongoClient) {
    client.on('topologyDescriptionChanged', (event) => {
      this.usable = event.newDescription.hasDataBearingServers;
    });
  }

  get down(): boolean {
    return !this.usable;
  }
}

/** Errors that mean "the store is unreachable", as opposed to a bad query or a duplicate key. */
export function isStoreUnreachable(err: unknown): boolean {
  return (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  );
}
