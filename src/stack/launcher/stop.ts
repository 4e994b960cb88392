import type { ChildProcess } from 'node:child_process';
import { osProcessTable } from '../staleServer';

/** Workers first (they drain), then the stack they talk to; anything that lingers is killed. */
export async function stopStack(child: ChildProcess | undefined, workers: number[]): Promise<void> {
  await Promise.all(workers.map((pid) => stopProcess(pid)));
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}

/** SIGTERM, up to 10 s to drain, then SIGKILL. A zombie (exited, not yet reaped) counts as gone. */
async function stopProcess(pid: number): Promise<void> {
  if (!osProcessTable.alive(pid)) return;
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 50 && osProcessTable.alive(pid); i++) await new Promise((r) => setTimeout(r, 200));
  if (osProcessTable.alive(pid)) process.kill(pid, 'SIGKILL');
}
