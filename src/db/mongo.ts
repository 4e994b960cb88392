import { MongoClient, type Db, type MongoClientOptions } from 'mongodb';
import { lanedDb } from './lanes';
import { tallyCommands } from './commandTally';

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

/**
 * `bulkConnections`: the pool of the bulk lane (see db/lanes.ts); 0 gives campaign work no lane of its own.
 */
export async function connectMongo(uri: string, dbName: string, { bulkConnections = 0 } = {}): Promise<Mongo> {
  const client = await connect(uri, {});
  if (bulkConnections <= 0) return { client, db: client.db(dbName), close: () => client.close() };
  const bulk = await connect(uri, { maxPoolSize: bulkConnections, appName: 'luckygas-sms-bulk' });
  return {
    client,
    db: lanedDb(client.db(dbName), bulk.db(dbName)),
    close: async () => void (await Promise.all([client.close(), bulk.close()])),
  };
}

async function connect(uri: string, options: MongoClientOptions): Promise<MongoClient> {
  // Short server selection so a missing database fails start-up (and /readyz) quickly instead of hanging; a
  // heartbeat every 2 s so a store that comes back is noticed within seconds (requests are refused meanwhile).
  const client = await MongoClient.connect(uri, {
    serverSelectionTimeoutMS: 5_000,
    heartbeatFrequencyMS: 2_000,
    appName: 'luckygas-sms',
    monitorCommands: Boolean(process.env.MONGO_COMMAND_TALLY),
    ...options,
  });
  tallyCommands(client);
  return client;
}

export async function pingMongo(db: Db): Promise<boolean> {
  try {
    await db.command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}
