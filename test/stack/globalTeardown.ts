import type { ChildProcess } from 'node:child_process';
import { stopStack } from '../../src/stack/launcher/stop';
import { workerPids } from '../../src/stack/launcher/workerProcess';

/** Stops the stack (SIGTERM lets it drain workers and stop its servers), killing it if it lingers. */
export default async function globalTeardown(): Promise<void> {
  const pidFile = process.env.TEST_WORKER_PIDS;
  await stopStack((globalThis as { __LUCKYGAS_STACK__?: ChildProcess }).__LUCKYGAS_STACK__, pidFile ? workerPids(pidFile) : []);
}
