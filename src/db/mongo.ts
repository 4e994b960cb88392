import { MongoClient, type Db } from 'mongodb';
import { tallyCommands } from './commandTally';

export interface Mongo {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

export async function connectMongo(uri: string, dbName: string): Promise<Mongo> {
  // Short server selection so a missing database fails start-up (and /readyz) quickly instead of hanging; a
  // heartbeat every 2 s so a store that comes back is noticed within seconds (requests are refused meanwhile).
  const client = await MongoClient.connect(uri, {
    serverSelectionTimeoutMS: 5_000,
    heartbeatFrequencyMS: 2_000,
    appName: 'luckygas-sms',
    monitorCommands: Boolean(process.env.MONGO_COMMAND_TALLY),
  });
  tallyCommands(client);
  return { client, db: client.db(dbName), close: () => client.close() };
}

export async function pingMongo(db: Db): Promise<boolean> {
  try {
    await db.command({ ping: 1 });
    return true;
  } catch {
    return false;
  }
}
