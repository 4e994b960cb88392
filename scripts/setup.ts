import { resolve } from 'node:path';
import { loadConfig } from '../src/config';
import { ensureMongoServer, ensureTemporalCli } from '../src/stack/binaries';

/** Builds (or finds) the Temporal CLI and FerretDB once, so `npm start` and the tests start quickly afterwards. */
async function main(): Promise<void> {
  const config = loadConfig();
  const progress = (line: string) => console.log(line);
  const started = Date.now();
  const temporal = await ensureTemporalCli({ explicitPath: config.TEMPORAL_CLI_PATH, cacheDir: config.CACHE_DIR }, progress);
  const mongo = await ensureMongoServer({ explicitPath: config.FERRETDB_PATH, cacheDir: config.CACHE_DIR, repoRoot: resolve(__dirname, '..') }, progress);
  console.log(`Temporal CLI: ${temporal}\n${mongo.kind === 'ferretdb' ? 'FerretDB' : 'mongod'}: ${mongo.path}\n(ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
