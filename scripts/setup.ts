import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
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
  const chromium = ensureChromium(config.CHROMIUM_PATH, progress);
  console.log(`Temporal CLI: ${temporal}\n${mongo.kind === 'ferretdb' ? 'FerretDB' : 'mongod'}: ${mongo.path}\nChromium: ${chromium ?? 'missing (the dashboard browser test will fail)'}\n(ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

/** Debian's Chromium for the dashboard's browser test: installed with apt when missing and we are root. */
function ensureChromium(path: string, progress: (line: string) => void): string | undefined {
  if (existsSync(path)) return path;
  if (process.getuid?.() !== 0) {
    progress(`Chromium not found at ${path}; install it (apt-get install chromium) or set CHROMIUM_PATH.`);
    return undefined;
  }
  progress('Installing Chromium from Debian packages for the dashboard test (first time only)…');
  const apt = (args: string[]) => spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  if (!apt(['install', '-y', '--no-install-recommends', 'chromium'])) apt(['update']) && apt(['install', '-y', '--no-install-recommends', 'chromium']);
  return existsSync(path) ? path : undefined;
}
