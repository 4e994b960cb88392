import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reapOrphanedServer, recordServerPid, type ProcessTable } from '../../src/stack/staleServer';

/** A process table the test controls: which PIDs run, and with what command line. */
function fakeTable(running: Record<number, string>) {
  const killed: number[] = [];
  const table: ProcessTable = {
    alive: (pid) => pid in running,
    commandLine: (pid) => running[pid] ?? '',
    kill: (pid) => {
      killed.push(pid);
      delete running[pid];
    },
  };
  return { table, killed };
}

describe('a server left behind by an npm start that was killed', () => {
  const pidFile = () => join(mkdtempSync(join(tmpdir(), 'stale-')), 'temporal.pid');
  const deadOwner = 999_999_001;

  it('is killed when its owner is gone and the PID still runs its command', async () => {
    const file = pidFile();
    recordServerPid(file, { pid: 4242, owner: deadOwner, command: '/cache/temporal' });
    const { table, killed } = fakeTable({ 4242: '/cache/temporal server start-dev --port 7233' });
    await expect(reapOrphanedServer(file, table)).resolves.toBe(4242);
    expect(killed).toEqual([4242]);
    expect(existsSync(file)).toBe(false);
  });

  it('is left alone while the npm start that owns it still runs (another start on the same data)', async () => {
    const file = pidFile();
    recordServerPid(file, { pid: 4242, owner: 77, command: '/cache/temporal' });
    const { table, killed } = fakeTable({ 77: 'node src/start.ts', 4242: '/cache/temporal server start-dev' });
    await expect(reapOrphanedServer(file, table)).resolves.toBeUndefined();
    expect(killed).toEqual([]);
    expect(existsSync(file)).toBe(true);
  });

  it('never kills a process that reused the PID for something else', async () => {
    const file = pidFile();
    recordServerPid(file, { pid: 4242, owner: deadOwner, command: '/cache/ferretdb' });
    const { table, killed } = fakeTable({ 4242: '/usr/bin/vim notes.txt' });
    await expect(reapOrphanedServer(file, table)).resolves.toBeUndefined();
    expect(killed).toEqual([]);
    expect(existsSync(file)).toBe(false);
  });

  it('does nothing when no PID was recorded', async () => {
    const { table, killed } = fakeTable({});
    await expect(reapOrphanedServer(pidFile(), table)).resolves.toBeUndefined();
    expect(killed).toEqual([]);
  });
});
