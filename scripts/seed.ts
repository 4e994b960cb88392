import { loadConfig } from '../src/config';
import { createRepositories } from '../src/db';
import { connectMongo } from '../src/db/mongo';
import { seedDefaults } from '../src/db/seed';
import { createLogger } from '../src/log';

/** `npm run seed`: creates the default templates in MONGODB_URI if missing, upgrades untouched old defaults (start-up does the same). */
async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.MONGODB_URI) throw new Error('MONGODB_URI must be set (npm start seeds its embedded database itself)');
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  try {
    const { created, upgraded } = await seedDefaults(await createRepositories(mongo.db, config), config.ADMIN_TOKEN, createLogger('seed'));
    console.log(created.length ? `created templates: ${created.join(', ')}` : 'all default templates already exist');
    if (upgraded.length) console.log(`moved to the document's text (new version, audited): ${upgraded.join(', ')}`);
  } finally {
    await mongo.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
