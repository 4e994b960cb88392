import { spawnWorker, waitForWorker, workerPids } from '../../src/stack/launcher/workerProcess';
import { restartStackProcess, type LaunchedStack } from '../../src/stack/launcher/launch';
import { childProcesses } from '../bench/procs';
import { statSync } from 'node:fs';
import { stormCallbacks, type BurstSoFar } from './receiptStorm';

/**
 * One fault, injected mid-burst; `heal` undoes what the system is not expected to undo by itself. `before` and
 * `after` frame the whole burst; `inject` may resolve to a line (a string) for the report.
 */
export interface Fault {
  name: string;
  before?(stack: LaunchedStack): Promise<void>;
  inject(stack: LaunchedStack, burst: BurstSoFar): Promise<unknown>;
  heal?(stack: LaunchedStack): Promise<void>;
  after?(stack: LaunchedStack): Promise<void>;
}

export const CHAOS_ADMIN_TOKEN = 'chaos-admin-token-0123456789';

/** The webhook token the chaos stack runs with (the storm needs it for well-authenticated unknown receipts). */
export const CHAOS_WEBHOOK_TOKEN = 'chaos-webhook-token-0123456789';

const killChild = (prefix: string) => async (stack: LaunchedStack) => {
  const child = childProcesses(stack.stack.pid!).find((c) => c.name.startsWith(prefix));
  if (!child) throw new Error(`no ${prefix} process under the stack`);
  process.kill(child.pid, 'SIGKILL');
};

type Provider = keyof LaunchedStack['simUrls'];

const simulatorCall = async (stack: LaunchedStack, provider: Provider, method: string, path: string, body: Record<string, unknown>) => {
  const response = await fetch(`${stack.simUrls[provider]}/_sim/${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`simulator refused ${path} ${JSON.stringify(body)}`);
};
const setDefaults = (stack: LaunchedStack, provider: Provider, change: Record<string, unknown>) => simulatorCall(stack, provider, 'PUT', 'behaviour', change);
/** The provider's port stops listening for `ms` (connections refused), then listens again by itself. */
const refuseConnections = (stack: LaunchedStack, provider: Provider, ms: number) => simulatorCall(stack, provider, 'POST', 'outage', { refuse_ms: ms });
/** A worker starting next to a restarting stack on this shared machine has been seen to need more than a minute. */
const WORKER_START_TIMEOUT_MS = 240_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const PROVIDERS: Provider[] = ['every8d', 'mitake', 'twilio'];

const killQuietly = (pid: number) => {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
};

/** Kills the worker processes and starts a new one (what an orchestrator does). */
const restartWorker = async (stack: LaunchedStack, downMs: number) => {
  for (const pid of workerPids(stack.workerPidFile)) killQuietly(pid);
  await sleep(downMs);
  const from = statSync(stack.workerLog).size;
  spawnWorker(stack.workerEnv, stack.workerLog, stack.workerPidFile);
  await waitForWorker(stack.workerLog, from, WORKER_START_TIMEOUT_MS);
};

export const FAULTS: Fault[] = [
  {
    // In production an orchestrator restarts the worker; here a new one is started 2 s later.
    name: 'kill -9 of the worker',
    inject: (stack) => restartWorker(stack, 2_000),
  },
  { name: 'kill -9 of the Temporal server', inject: killChild('temporal') },
  { name: 'kill -9 of FerretDB', inject: killChild('ferretdb') },
  {
    name: 'primary provider (Every8d) answers 500 for 30 s',
    inject: (stack) => setDefaults(stack, 'every8d', { failure: 'http_500' }),
    heal: async (stack) => {
      await sleep(30_000);
      await setDefaults(stack, 'every8d', { failure: 'none' });
    },
  },
  {
    // Under `npm start` the API is the supervisor itself: after a kill -9 an operator or systemd starts it again,
    // on the same data directory, while the Temporal server and FerretDB it had started live on as orphans.
    name: 'kill -9 of the API process (npm start; started again 2 s later)',
    inject: async (stack) => {
      killQuietly(stack.stack.pid!);
      await sleep(2_000);
      await restartStackProcess(stack);
    },
  },
  {
    // Every process of the stack killed at once (a power cut), then started again on the same data directory.
    name: 'restart of everything (kill -9 of all processes; started again 2 s later)',
    inject: async (stack) => {
      const servers = childProcesses(stack.stack.pid!);
      for (const pid of [...workerPids(stack.workerPidFile), stack.stack.pid!, ...servers.map((c) => c.pid)]) killQuietly(pid);
      await sleep(2_000);
      await restartStackProcess(stack);
      const from = statSync(stack.workerLog).size;
      spawnWorker(stack.workerEnv, stack.workerLog, stack.workerPidFile);
      await waitForWorker(stack.workerLog, from, WORKER_START_TIMEOUT_MS);
    },
  },
  {
    // Every receipt 5 times, out of order, from all three providers (Every8d refuses connections for 30 s and Mitake
    // for the first 10, so the burst is spread over them), plus forged receipts and receipts for unknown ids.
    name: 'receipt storm (each receipt 5×, out of order; forged; unknown ids)',
    before: async (stack) => {
      for (const provider of PROVIDERS) await setDefaults(stack, provider, { receipt_copies: 5 });
    },
    inject: async (stack, burst) => {
      await Promise.all([refuseConnections(stack, 'every8d', 30_000), refuseConnections(stack, 'mitake', 10_000)]);
      const tally = await stormCallbacks(stack, CHAOS_WEBHOOK_TOKEN, burst, 40_000);
      return `forged receipts refused ${tally.forged.refused}/${tally.forged.sent}; receipts for unknown ids acknowledged ${tally.unknown.acknowledged}/${tally.unknown.sent}`;
    },
    after: async (stack) => {
      for (const provider of PROVIDERS) await setDefaults(stack, provider, { receipt_copies: 1 });
    },
  },
  {
    name: 'primary provider (Every8d) hangs for 30 s',
    inject: (stack) => setDefaults(stack, 'every8d', { failure: 'hang' }),
    heal: async (stack) => {
      await sleep(30_000);
      await setDefaults(stack, 'every8d', { failure: 'none' });
    },
  },
  {
    name: 'primary provider (Every8d) refuses connections for 30 s',
    inject: (stack) => refuseConnections(stack, 'every8d', 30_000),
    heal: async () => {
      await sleep(30_000);
    },
  },
  {
    // A store that hangs rather than dies: FerretDB stopped (SIGSTOP) for 30 s. The API must answer 503 within about
    // a second instead of waiting on it; how long one send-sms took during the hang is reported.
    name: 'FerretDB hangs (SIGSTOP) for 30 s',
    inject: async (stack) => {
      const ferret = childProcesses(stack.stack.pid!).find((c) => c.name.startsWith('ferretdb'));
      if (!ferret) throw new Error('no ferretdb process under the stack');
      process.kill(ferret.pid, 'SIGSTOP');
      try {
        await sleep(500);
        const started = Date.now();
        const response = await fetch(`${stack.apiUrl}/api/v1/notifications/send-sms`, {
          method: 'POST',
          headers: { authorization: `Bearer ${CHAOS_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify({ phone: '0911000000', message: '【幸福氣】chaos probe', message_type: 'general' }),
          signal: AbortSignal.timeout(25_000),
        }).catch(() => undefined);
        const took = ((Date.now() - started) / 1000).toFixed(1);
        await sleep(29_500 - (Date.now() - started));
        return `send-sms 0.5 s into the hang: ${response ? `${response.status} ${response.headers.get('retry-after') ? '(Retry-After) ' : ''}` : 'no answer '}in ${took} s`;
      } finally {
        process.kill(ferret.pid, 'SIGCONT');
      }
    },
  },
];
