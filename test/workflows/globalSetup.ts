import { temporalCli } from './cli';

/**
 * On a fresh machine the CLI is built here (minutes, once), outside any test's timeout. No server starts: each
 * test file starts its own, so files can run in parallel with the same provider task queue names.
 */
export default async function globalSetup(): Promise<void> {
  process.env.TEMPORAL_CLI_PATH = await temporalCli();
}
