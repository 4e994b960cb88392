import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePorts } from './ports';
import { spawnWorker, waitForWorker } from './worker';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789';
export const TEST_WEBHOOK_TOKEN = 'test-webhook-token-0123456789';
export const TEST_JWT_SECRET = 'test-jwt-secret-0123456789-0123456789';

/**
 * Starts the real embedded stack once per test run, exactly as `npm start` does (Temporal dev server, FerretDB,
 * simulators, workers, API) but on free ports and a throw-away data directory, with short timeouts so failure
 * paths (hangs, missing receipts) finish in seconds.
 */
export default async function globalSetup(): Promise<void> {
  const root = resolve(__dirname, '..', '..');
  const dataDir = mkdtempSync(join(tmpdir(), 'luckygas-test-'));
  const [apiPort, temporalPort, uiPort, mongoPort, simPort] = await Promise.all([freePorts(1), freePorts(1), freePorts(1), freePorts(1), freePorts(3)]);
  const env = {
    ...process.env,
    APP_ENV: 'development',
    LOG_LEVEL: 'warn',
    DATA_DIR: dataDir,
    HOST: '127.0.0.1',
    PORT: String(apiPort),
    TEMPORAL_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    MONGO_PORT: String(mongoPort),
    SIMULATOR_PORT: String(simPort),
    ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    SMS_PROVIDER_TIMEOUT_MS: '1500',
    SMS_RECEIPT_TIMEOUT_MS: '5000',
    SMS_RECEIPT_POLL_MS: '500',
    SMS_ATTEMPTS_PER_PROVIDER: '2',
    WEBHOOK_TOKEN: TEST_WEBHOOK_TOKEN,
    JWT_SECRET: TEST_JWT_SECRET,
    RATE_LIMIT_PER_MINUTE: '100000',
    PROVIDER_REFRESH_MS: '500',
    // Tests that open a circuit lower the threshold on one provider through the admin API.
    CIRCUIT_FAILURE_THRESHOLD: '1000',
    // Small pages and windows so a few hundred recipients exercise continue-as-new and the sliding window.
    BULK_PAGE_SIZE: '50',
    BULK_WINDOW: '20',
    // No quiet hours by default, whatever time CI runs at; the quiet-hours test sets its own window.
    QUIET_HOURS: '',
  };
  for (const key of ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'PUBLIC_BASE_URL']) delete env[key as keyof typeof env];

  // Build the servers first (a no-op when cached) so progress is visible and start-up below stays quick.
  const setup = spawnSync('node', ['--import', 'tsx', 'scripts/setup.ts'], { cwd: root, env, stdio: 'inherit' });
  if (setup.status !== 0) throw new Error('building the embedded servers failed');

  const logFile = join(dataDir, 'stack.log');
  const out = openSync(logFile, 'a');
  const child = spawn('node', ['--import', 'tsx', 'src/start.ts'], { cwd: root, env: { ...env, RUN_WORKERS: 'false' }, stdio: ['ignore', out, out] });
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  await waitUntilServing(logFile, () => child.exitCode);

  // Workers in their own process, against the stack's servers, as a production deployment runs them.
  const workerEnv = { ...env, TEMPORAL_ADDRESS: `127.0.0.1:${temporalPort}`, MONGODB_URI: `mongodb://127.0.0.1:${mongoPort}/` };
  const workerLog = join(dataDir, 'worker.log');
  const pidFile = join(dataDir, 'worker.pids');
  writeFileSync(workerLog, '');
  writeFileSync(pidFile, '');
  spawnWorker(workerEnv, workerLog, pidFile);
  await waitForWorker(workerLog, 0);
  process.env.TEST_WORKER_ENV = JSON.stringify(workerEnv);
  process.env.TEST_WORKER_LOG = workerLog;
  process.env.TEST_WORKER_PIDS = pidFile;

  Object.assign(globalThis, { __LUCKYGAS_STACK__: child });
  process.env.TEST_API_URL = apiUrl;
  process.env.TEST_ADMIN_TOKEN = TEST_ADMIN_TOKEN;
  process.env.TEST_WEBHOOK_TOKEN = TEST_WEBHOOK_TOKEN;
  process.env.TEST_JWT_SECRET = TEST_JWT_SECRET;
  process.env.TEST_MONGO_URI = `mongodb://127.0.0.1:${mongoPort}/`;
  process.env.TEST_MONGO_DB = 'luckygas_sms';
  process.env.TEST_TEMPORAL_ADDRESS = `127.0.0.1:${temporalPort}`;
  process.env.TEST_SIM_URLS = JSON.stringify({ twilio: `http://127.0.0.1:${simPort}`, every8d: `http://127.0.0.1:${simPort + 1}`, mitake: `http://127.0.0.1:${simPort + 2}` });
  process.env.TEST_STACK_LOG = logFile;
}

async function waitUntilServing(logFile: string, exitCode: () => number | null): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const log = readFileSync(logFile, 'utf8');
    if (log.includes('Press Ctrl-C to stop.')) return;
    if (exitCode() !== null || log.includes('Start-up failed')) throw new Error(`the embedded stack did not start:\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`the embedded stack did not start within 180 s; see ${logFile}`);
}
