import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

/**
 * A server `npm start` started is killed with it only when `npm start` ends normally. After a `kill -9` (or a crash
 * of Node itself) the Temporal dev server and FerretDB live on, orphaned, holding their ports and data files, and
 * the next `npm start` on the same data directory could not start them. So each server's PID is written next to its
 * data, with the PID of the `npm start` that owns it; a start that finds the owner gone kills the orphan first.
 */
export interface ServerPidRecord {
  pid: number;
  /** The `npm start` process that started it. */
  owner: number;
  command: string;
}

export function recordServerPid(pidFile: string, record: ServerPidRecord): void {
  writeFileSync(pidFile, JSON.stringify(record));
}

export function forgetServerPid(pidFile: string): void {
  rmSync(pidFile, { force: true });
}

export interface ProcessTable {
  alive(pid: number): boolean;
  /** The command line of a running process ('' when unknown). */
  commandLine(pid: number): string;
  kill(pid: number): void;
}

/**
 * Kills the server a previous `npm start` left behind, if its owner is dead and the PID still runs that command (a
 * reused PID is left alone). A live owner means another `npm start` uses this data directory: nothing is touched,
 * and the new server's start fails on the taken port as it should. Returns the PID it killed.
 */
export async function reapOrphanedServer(pidFile: string, table: ProcessTable = osProcessTable, timeoutMs = 10_000): Promise<number | undefined> {
  if (!existsSync(pidFile)) return undefined;
  let record: ServerPidRecord;
  try {
    record = JSON.parse(readFileSync(pidFile, 'utf8')) as ServerPidRecord;
  } catch {
    forgetServerPid(pidFile);
    return undefined;
  }
  if (record.owner !== process.pid && table.alive(record.owner)) return undefined;
  if (!table.alive(record.pid) || !table.commandLine(record.pid).includes(record.command)) {
    forgetServerPid(pidFile);
    return undefined;
  }
  table.kill(record.pid);
  const deadline = Date.now() + timeoutMs;
  while (table.alive(record.pid)) {
    if (Date.now() > deadline) throw new Error(`an orphaned ${record.command} (pid ${record.pid}) from an earlier start did not stop`);
    await new Promise((r) => setTimeout(r, 100));
  }
  forgetServerPid(pidFile);
  return record.pid;
}

export const osProcessTable: ProcessTable = {
  alive(pid) {
    try {
      process.kill(pid, 0);
      // A zombie (killed, not yet reaped by its parent) still answers signal 0 but is gone for our purpose.
      return !/^\S+ \(.*\) Z/.test(readProcFile(pid, 'stat'));
    } catch {
      return false;
    }
  },
  commandLine(pid) {
    const fromProc = readProcFile(pid, 'cmdline').replace(/\0/g, ' ');
    if (fromProc) return fromProc;
    const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return ps.status === 0 ? ps.stdout.trim() : '';
  },
  kill(pid) {
    process.kill(pid, 'SIGKILL');
  },
};

function readProcFile(pid: number, name: string): string {
  try {
    return readFileSync(`/proc/${pid}/${name}`, 'utf8');
  } catch {
    return '';
  }
}
