import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, openSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { SIMULATOR_CREDENTIALS } from '../../simulator/credentials';
import { freePorts } from './ports';
import { stopStack } from './stop';
import { spawnWorker, waitForWorker, workerPids } from './workerProcess';

export interface LaunchedStack {
  dataDir: string;
  apiUrl: string;
  mongoUri: string;
  temporalAddress: string;
  /** The embedded Temporal UI. */
  temporalUiUrl: string;
  simUrls: { twilio: string; every8d: string; mitake: string };
  /** The `src/start.ts` process: API, simulators, Temporal dev server and FerretDB (replaced by `restartStackProcess`). */
  stack: ChildProcess;
  stackEnv: NodeJS.ProcessEnv;
  stackLog: string;
  /** The simulators' own process, with `simulatorsProcess`: they outlive a restart of the stack, and so do their counts. */
  simulators?: ChildProcess;
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
export async function launchStack(env: Record<string, string>, options: { simulatorsProcess?: boolean } = {}): Promise<LaunchedStack> {
  const root = resolve(__dirname, '..', '..', '..');
  const dataDir = mkdtempSync(join(tmpdir(), 'luckygas-stack-'));
  // One block of eight, so no two of them can be picked twice.
  const base = await freePorts(8);
  const [apiPort, temporalPort, uiPort, mongoPort, workerMetricsPort, simPort] = [base, base + 1, base + 2, base + 3, base + 4, base + 5];
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

  const simUrls = { twilio: `http://127.0.0.1:${simPort}`, every8d: `http://127.0.0.1:${simPort + 1}`, mitake: `http://127.0.0.1:${simPort + 2}` };
  let simulators: ChildProcess | undefined;
  if (options.simulatorsProcess) {
    // The stack then talks to them as to real providers, configured from the environment.
    Object.assign(fullEnv, simulatorAccounts(simUrls));
    const simLog = join(dataDir, 'simulators.log');
    const simOut = openSync(simLog, 'a');
    const started = spawn('node', ['--import', 'tsx', 'src/simulator/main.ts'], { cwd: root, env: fullEnv, stdio: ['ignore', simOut, simOut] });
    simulators = started;
    await orStop(
      waitForLine(simLog, 0, 'Simulators:', () => started.exitCode),
      () => stopStack(started, []),
    );
  }
  // From here a failed step also stops what the earlier ones started: the caller gets no handle to stop it with (a
  // failed bench had left its servers and API running until found by hand).
  const stopSimulators = async () => void (simulators && (await stopStack(simulators, [])));

  const stackLog = join(dataDir, 'stack.log');
  const stackEnv = { ...fullEnv, RUN_WORKERS: 'false' };
  const stack = await orStop(spawnStack(root, stackEnv, stackLog), stopSimulators);

  const mongoUri = `mongodb://127.0.0.1:${mongoPort}/`;
  const temporalAddress = env.TEMPORAL_ADDRESS ?? `127.0.0.1:${temporalPort}`;
  const workerEnv = { ...fullEnv, TEMPORAL_ADDRESS: temporalAddress, MONGODB_URI: mongoUri, WORKER_METRICS_PORT: String(workerMetricsPort) };
  const workerLog = join(dataDir, 'worker.log');
  const workerPidFile = join(dataDir, 'worker.pids');
  writeFileSync(workerLog, '');
  writeFileSync(workerPidFile, '');
  spawnWorker(workerEnv, workerLog, workerPidFile);
  await orStop(waitForWorker(workerLog, 0), async () => {
    await stopStack(stack, workerPids(workerPidFile));
    await stopSimulators();
  });

  return {
    dataDir,
    apiUrl: `http://127.0.0.1:${apiPort}`,
    mongoUri,
    temporalAddress,
    temporalUiUrl: `http://127.0.0.1:${uiPort}`,
    simUrls,
    stack,
    stackEnv,
    stackLog,
    simulators,
    workerEnv,
    workerLog,
    workerPidFile,
    workerMetricsUrl: `http://127.0.0.1:${workerMetricsPort}/metrics`,
  };
}

/** Starts `src/start.ts` again on the same data directory and ports, as an operator (or systemd) would after it died. */
export async function restartStackProcess(launched: LaunchedStack): Promise<void> {
  launched.stack = await spawnStack(resolve(__dirname, '..', '..', '..'), launched.stackEnv, launched.stackLog);
}

async function spawnStack(root: string, env: NodeJS.ProcessEnv, stackLog: string): Promise<ChildProcess> {
  const from = sizeOf(stackLog);
  const out = openSync(stackLog, 'a');
  const stack = spawn('node', ['--import', 'tsx', 'src/start.ts'], { cwd: root, env, stdio: ['ignore', out, out] });
  await orStop(
    waitForLine(stackLog, from, 'Press Ctrl-C to stop.', () => stack.exitCode),
    () => stopStack(stack, []),
  );
  return stack;
}

/**
 * A start step's outcome; when it fails (a timeout, a logged failure), `stop` first stops what was started for it,
 * and the step's own error is what the caller sees.
 */
async function orStop<T>(step: Promise<T>, stop: () => Promise<void>): Promise<T> {
  return step.catch(async (err) => {
    await stop();
    throw err;
  });
}

/** Provider accounts pointing at simulators that run outside the stack (SIMULATORS=false reads them from here). */
function simulatorAccounts(urls: LaunchedStack['simUrls']): Record<string, string> {
  const { twilio, every8d, mitake } = SIMULATOR_CREDENTIALS;
  return {
    SIMULATORS: 'false',
    TWILIO_ACCOUNT_SID: twilio.account_sid,
    TWILIO_AUTH_TOKEN: twilio.auth_token,
    TWILIO_FROM_NUMBER: '+15005550006',
    TWILIO_API_URL: urls.twilio,
    EVERY8D_USERNAME: every8d.username,
    EVERY8D_PASSWORD: every8d.password,
    EVERY8D_API_URL: urls.every8d,
    MITAKE_USERNAME: mitake.username,
    MITAKE_PASSWORD: mitake.password,
    MITAKE_API_URL: urls.mitake,
    TWILIO_ALLOWED_HOSTS: '127.0.0.1',
    EVERY8D_ALLOWED_HOSTS: '127.0.0.1',
    MITAKE_ALLOWED_HOSTS: '127.0.0.1',
  };
}

const sizeOf = (file: string) => {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
};

async function waitForLine(logFile: string, sinceBytes: number, line: string, exitCode: () => number | null): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const log = readFileSync(logFile).subarray(sinceBytes).toString('utf8');
    if (log.includes(line)) return;
    if (exitCode() !== null || log.includes('Start-up failed')) throw new Error(`${logFile} did not start:\n${log.slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${logFile} did not show "${line}" within 180 s`);
}
