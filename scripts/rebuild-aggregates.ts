import { loadConfig } from '../src/config';
import { connectMongo } from '../src/db/mongo';
import { parseArgs } from 'node:util';
import { rebuildAggregates, recountBatch } from '../src/db/rebuildAggregates';

/**
 * `npm run rebuild-aggregates`: recomputes rollups and lookup lists from the messages, against MONGODB_URI (or the
 * embedded store's default address). Stop the workers first: they own these documents while they run.
 * `npm run rebuild-aggregates -- --batch <id>` recounts one finished batch only.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { batch: { type: 'string' } } });
  const config = loadConfig();
  const mongo = await connectMongo(config.MONGODB_URI ?? `mongodb://127.0.0.1:${config.MONGO_PORT}/`, config.MONGODB_DB);
  try {
    if (values.batch) {
      const batch = await mongo.db.collection<{ _id: string; total: number }>('sms_batches').findOne({ _id: values.batch });
      if (!batch) throw new Error(`no batch ${values.batch}`);
      await recountBatch(mongo.db, batch._id, batch.total);
      console.log(`Recounted batch ${batch._id} (${batch.total} recipients)`);
      return;
    }
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
