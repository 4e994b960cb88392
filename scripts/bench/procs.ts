import { readFileSync, readdirSync } from 'node:fs';

/** CPU time (user + system) a process has used so far, in ms; 0 once it is gone. Linux /proc only. */
export function cpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** Peak resident set size (VmHWM) of a process, in MiB; 0 once it is gone. */
export function rssMiB(pid: number): number {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

/** Direct children of a process, by name: the stack's Temporal server and FerretDB. */
export function childProcesses(parent: number): { pid: number; name: string }[] {
  const found: { pid: number; name: string }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parent) found.push({ pid: Number(entry), name });
    } catch {
      /* gone meanwhile */
    }
  }
  return found;
}

/** CPU used by each named process between `snapshot()` and `since(snapshot)`. */
export function cpuMeter(processes: Record<string, number>) {
  const snapshot = () => Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuMs(pid)]));
  return {
    snapshot,
    since: (start: Record<string, number>) => Object.fromEntries(Object.entries(processes).map(([name, pid]) => [name, cpuMs(pid) - (start[name] ?? 0)])),
  };
}
