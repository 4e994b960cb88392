import type { ChildProcess } from 'node:child_process';

/** Stops the stack (SIGTERM lets it drain workers and stop its servers), killing it if it lingers. */
export default async function globalTeardown(): Promise<void> {
  const child = (globalThis as { __LUCKYGAS_STACK__?: ChildProcess }).__LUCKYGAS_STACK__;
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
}
