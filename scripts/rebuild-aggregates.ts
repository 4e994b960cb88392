import { loadConfig } from '../src/config';
import { connectMongo } from '../src/db/mongo';
import { rebuildAggregates } from '../src/db/rebuildAggregates';

/**
 * `npm run rebuild-aggregates`: recomputes rollups and lookup lists from the messages, against MONGODB_URI (or the
 * embedded store's default address). Stop the workers first: they own these documents while they run.
 */
async function main(): Promise<void> {
  const config = loadConfig();
  const mongo = await connectMongo(config.MONGODB_URI ?? `mongodb://127.0.0.1:${config.MONGO_PORT}/`, config.MONGODB_DB);
  try {
    const started = Date.now();
    const total = await rebuildAggregates(mongo.db, (done) => process.stdout.write(`\r  ${done} messages`));
    console.log(`\nRebuilt rollups and lookup lists from ${total} messages in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await mongo.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
