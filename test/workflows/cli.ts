import { loadConfig } from '../../src/config';
import { ensureTemporalCli } from '../../src/stack/binaries';

/** The project's own Temporal CLI build (found, or built once): the SDK's test-server download needs internet. */
export function temporalCli(): Promise<string> {
  const config = loadConfig();
  return ensureTemporalCli({ explicitPath: config.TEMPORAL_CLI_PATH, cacheDir: config.CACHE_DIR }, (line) => console.log(line));
}
