import { spawn } from 'node:child_process';
import { appendFileSync, openSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { osProcessTable } from '../staleServer';

/**
 * The test stack runs the workers as their own process (`src/worker.ts`, as in production), so a test can kill
 * it mid-batch and start another. Every PID is appended to the PID file, which teardown uses to stop them all.
 */
export function spawnWorker(env: NodeJS.ProcessEnv, logFile: string, pidFile: string): number {
  const out = openSync(logFile, 'a');
  // BENCH_WORKER_CPU_PROFILE=<dir>: the bench's CPU profile of the worker (written when it exits).
  const profile = env.BENCH_WORKER_CPU_PROFILE ? ['--cpu-prof', `--cpu-prof-dir=${env.BENCH_WORKER_CPU_PROFILE}`] : [];
  // BENCH_WORKER_V8_FLAGS: V8 flags for the worker only, for the bench's A/B runs (e.g. its young generation's size).
  const v8Flags = env.BENCH_WORKER_V8_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn('node', [...profile, ...v8Flags, '--import', 'tsx', 'src/worker.ts'], {
    cwd: resolve(__dirname, '..', '..', '..'),
    env,
    stdio: ['ignore', out, out],
    detached: true,
  });
  child.unref();
  appendFileSync(pidFile, `${child.pid}\n`);
  return child.pid!;
}

/** The workers still running: a PID of one that ended may since belong to another program, never to be signalled. */
export function workerPids(pidFile: string): number[] {
  return readFileSync(pidFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map(Number)
    .filter((pid) => osProcessTable.alive(pid) && osProcessTable.commandLine(pid).includes('src/worker.ts'));
}

/** Resolves once the worker log shows it running (the line `src/worker.ts` prints once every worker polls). */
export async function waitForWorker(logFile: string, sinceBytes: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (readFileSync(logFile, 'utf8').slice(sinceBytes).includes('LuckyGas SMS worker is running')) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`worker did not start within ${timeoutMs} ms; see ${logFile}`);
}
