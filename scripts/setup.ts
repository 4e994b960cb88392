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
  console.log(
    `Temporal CLI: ${temporal}\n${mongo.kind === 'ferretdb' ? 'FerretDB' : 'mongod'}: ${mongo.path}\nChromium: ${chromium ?? 'missing (the dashboard browser test will fail)'}\n(ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});

/** A CJK font, without which Chromium draws the dashboard's Chinese labels as empty boxes. */
const CJK_FONT = '/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc';

/**
 * Debian's Chromium and a Traditional Chinese font for the dashboard's browser test: installed with apt when
 * missing and we are root.
 */
function ensureChromium(path: string, progress: (line: string) => void): string | undefined {
  if (existsSync(path) && existsSync(CJK_FONT)) return path;
  if (process.getuid?.() !== 0) {
    progress(`Chromium not found at ${path}; install it (apt-get install chromium) or set CHROMIUM_PATH.`);
    return undefined;
  }
  progress('Installing Chromium and a CJK font from Debian packages for the dashboard test (first time only)…');
  const apt = (args: string[]) =>
    spawnSync('apt-get', args, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } }).status === 0;
  const install = ['install', '-y', '--no-install-recommends', 'chromium', 'fonts-wqy-zenhei'];
  if (!apt(install)) apt(['update']) && apt(install);
  return existsSync(path) ? path : undefined;
}
