import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePorts } from './ports';
import { spawnWorker, waitForWorker } from './workerProcess';

export interface LaunchedStack {
  dataDir: string;
  apiUrl: string;
  mongoUri: string;
  temporalAddress: string;
  /** The embedded Temporal UI. */
  temporalUiUrl: string;
  simUrls: { twilio: string; every8d: string; mitake: string };
  /** The `src/start.ts` process: API, simulators, Temporal dev server and FerretDB. */
  stack: ChildProcess;
  stackLog: string;
  workerEnv: NodeJS.ProcessEnv;
  workerLog: string;
  workerPidFile: string;
  workerMetricsUrl: string;
}

/**
 * Starts the real embedded stack as `npm start` does, on free ports and a throw-away data directory, with the
 * workers in a process of their own (as in production, and so they can be killed). Used by the tests and the
 * benchmark; `env` adds or overrides configuration.
 */
export async function launchStack(env: Record<string, string>): Promise<LaunchedStack> {
  const root = resolve(__dirname, '..', '..', '..');
  const dataDir = mkdtempSync(join(tmpdir(), 'luckygas-stack-'));
  const [apiPort, temporalPort, uiPort, mongoPort, simPort, workerMetricsPort] = await Promise.all([
    freePorts(1),
    freePorts(1),
    freePorts(1),
    freePorts(1),
    freePorts(3),
    freePorts(1),
  ]);
  const fullEnv: NodeJS.ProcessEnv = {
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
    ...env,
  };
  // From the caller's shell they would point the stack elsewhere; passed in `env` (the bench's server profiles) they do.
  for (const key of ['TEMPORAL_ADDRESS', 'MONGODB_URI', 'PUBLIC_BASE_URL']) if (!(key in env)) delete fullEnv[key];

  // Build the servers first (a no-op when cached) so progress is visible and start-up below stays quick.
  const setup = spawnSync('node', ['--import', 'tsx', 'scripts/setup.ts'], { cwd: root, env: fullEnv, stdio: 'inherit' });
  if (setup.status !== 0) throw new Error('building the embedded servers failed');

  const stackLog = join(dataDir, 'stack.log');
  const out = openSync(stackLog, 'a');
  const stack = spawn('node', ['--import', 'tsx', 'src/start.ts'], { cwd: root, env: { ...fullEnv, RUN_WORKERS: 'false' }, stdio: ['ignore', out, out] });
  await waitUntilServing(stackLog, () => stack.exitCode);

  const mongoUri = `mongodb://127.0.0.1:${mongoPort}/`;
  const temporalAddress = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${temporalPort}`;
  const workerEnv = { ...fullEnv, TEMPORAL_ADDRESS: temporalAddress, MONGODB_URI: mongoUri, WORKER_METRICS_PORT: String(workerMetricsPort) };
  const workerLog = join(dataDir, 'worker.log');
  const workerPidFile = join(dataDir, 'worker.pids');
  writeFileSync(workerLog, '');
  writeFileSync(workerPidFile, '');
  spawnWorker(workerEnv, workerLog, workerPidFile);
  await waitForWorker(workerLog, 0);

  return {
    dataDir,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    mongoUri,
    temporalAddress,
    temporalUiUrl: `http://127.0.0.1:${uiPort}`,
    simUrls: { twilio: `http://127.0.0.1:${simPort}`, every8d: `http://127.0.0.1:${simPort + 1}`, mitake: `http://127.0.0.1:${simPort + 2}` },
    stack,
    stackLog,
    workerEnv,
    workerLog,
    workerPidFile,
    workerMetricsUrl: `http://127.0.0.1:${workerMetricsPort}/metrics`,
  };
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
