import { spawnWorker, waitForWorker, workerPids } from '../../src/stack/launcher/workerProcess';
import type { LaunchedStack } from '../../src/stack/launcher/launch';
import { childProcesses } from '../bench/procs';
import { statSync } from 'node:fs';

/** One fault, injected mid-burst; `heal` undoes what the system is not expected to undo by itself. */
export interface Fault {
  name: string;
  inject(stack: LaunchedStack): Promise<void>;
  heal?(stack: LaunchedStack): Promise<void>;
}

const killChild = (prefix: string) => async (stack: LaunchedStack) => {
  const child = childProcesses(stack.stack.pid!).find((c) => c.name.startsWith(prefix));
  if (!child) throw new Error(`no ${prefix} process under the stack`);
  process.kill(child.pid, 'SIGKILL');
};

const setDefaults = async (stack: LaunchedStack, provider: keyof LaunchedStack['simUrls'], change: Record<string, unknown>) => {
  const response = await fetch(`${stack.simUrls[provider]}/_sim/behaviour`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(change),
  });
  if (!response.ok) throw new Error(`simulator refused ${JSON.stringify(change)}`);
};

export const FAULTS: Fault[] = [
  {
    // In production an orchestrator restarts the worker; here a new one is started 2 s later.
    name: 'kill -9 of the worker',
    inject: async (stack) => {
      for (const pid of workerPids(stack.workerPidFile)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      await new Promise((r) => setTimeout(r, 2_000));
      const from = statSync(stack.workerLog).size;
      spawnWorker(stack.workerEnv, stack.workerLog, stack.workerPidFile);
      await waitForWorker(stack.workerLog, from);
    },
  },
  { name: 'kill -9 of the Temporal server', inject: killChild('temporal') },
  { name: 'kill -9 of FerretDB', inject: killChild('ferretdb') },
  {
    name: 'primary provider (Every8d) answers 500 for 30 s',
    inject: (stack) => setDefaults(stack, 'every8d', { failure: 'http_500' }),
    heal: async (stack) => {
      await new Promise((r) => setTimeout(r, 30_000));
      await setDefaults(stack, 'every8d', { failure: 'none' });
    },
  },
];
