import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname } from 'node:path';
import { forgetServerPid, reapOrphanedServer, recordServerPid } from './staleServer';

export interface ManagedProcess {
  name: string;
  pid?: number;
  stop(): Promise<void>;
  /** Settles when the process has exited, whoever ended it (its exit code, or the signal that killed it). */
  exited: Promise<string>;
}

/** Starts a server process whose output goes to logFile, and resolves once it accepts TCP connections. */
export async function startServerProcess(opts: {
  name: string;
  command: string;
  args: string[];
  logFile: string;
  port: number;
  host?: string;
  readyTimeoutMs?: number;
  /** Where its PID is kept, so a later start can kill it if this process dies without stopping it (staleServer.ts). */
  pidFile?: string;
  /** Variables added to this process's environment (which it otherwise inherits). */
  env?: Record<string, string>;
}): Promise<ManagedProcess> {
  mkdirSync(dirname(opts.logFile), { recursive: true });
  if (opts.pidFile) await reapOrphanedServer(opts.pidFile);
  const log = createWriteStream(opts.logFile, { flags: 'a' });
  const child = spawn(opts.command, opts.args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...opts.env } });
  const pidFile = opts.pidFile;
  if (pidFile && child.pid) recordServerPid(pidFile, { pid: child.pid, owner: process.pid, command: opts.command });
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<string>((resolve) => child.once('exit', (code, signal) => resolve(signal ? `killed by ${signal}` : `exit code ${code}`)));
  const stopOnParentExit = () => child.kill('SIGKILL');
  process.once('exit', stopOnParentExit);
  void exited.then(() => {
    process.removeListener('exit', stopOnParentExit);
    if (pidFile) forgetServerPid(pidFile);
  });

  const ready = await Promise.race([
    waitForPort(opts.host ?? '127.0.0.1', opts.port, opts.readyTimeoutMs ?? 60_000).then(() => true),
    exited.then(() => false),
  ]).catch((err) => {
    child.kill('SIGKILL'); // never leave a half-started server behind (a restart would find its port taken)
    throw err;
  });
  if (!ready) throw new Error(`${opts.name} exited during start-up; see ${opts.logFile}`);
  return {
    name: opts.name,
    pid: child.pid,
    exited,
    stop: async () => {
      process.removeListener('exit', stopOnParentExit);
      await stopChild(child, exited);
      log.end();
    },
  };
}

async function stopChild(child: ChildProcess, exited: Promise<unknown>): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(killer);
}

export async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await canConnect(host, port)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`nothing listening on ${host}:${port} after ${timeoutMs} ms`);
}

function canConnect(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
