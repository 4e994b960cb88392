import { parseArgs } from 'node:util';
import { loadConfig } from '../src/config';
import { createRepositories } from '../src/db';
import { connectMongo } from '../src/db/mongo';
import { ROLES, type Role } from '../src/domain/roles';

/**
 * `npm run create-api-key -- --name "order system" --role sender [--rate-limit 600]`
 * Prints the new key once; only its hash is stored. Needs MONGODB_URI (the embedded one: mongodb://127.0.0.1:27017/).
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { name: { type: 'string' }, role: { type: 'string' }, 'rate-limit': { type: 'string' } } });
  if (!values.name || !ROLES.includes(values.role as Role)) throw new Error(`usage: --name <text> --role <${ROLES.join('|')}> [--rate-limit <per minute>]`);
  const rateLimit = values['rate-limit'] === undefined ? undefined : Number(values['rate-limit']);
  if (rateLimit !== undefined && !(Number.isInteger(rateLimit) && rateLimit > 0)) throw new Error('--rate-limit must be a positive whole number');
  const config = loadConfig();
  if (!config.MONGODB_URI) throw new Error('MONGODB_URI must be set');
  const mongo = await connectMongo(config.MONGODB_URI, config.MONGODB_DB);
  try {
    const repos = await createRepositories(mongo.db, config);
    const { key, token, callbackSecret } = await repos.apiKeys.create({
      name: values.name,
      role: values.role as Role,
      rate_limit_per_minute: rateLimit,
      created_by: 'cli',
    });
    await repos.audit.record({ actor: 'cli', action: 'api_key.created', target: { type: 'api_key', id: key._id }, after: key });
    console.log(`Created ${key.role} key ${key._id} ("${key.name}"). Store both now; neither is shown again:\n${token}`);
    console.log(`Status callback signing secret:\n${callbackSecret}`);
  } finally {
    await mongo.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
