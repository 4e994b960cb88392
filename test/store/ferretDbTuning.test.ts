import { readFileSync, readdirSync } from 'node:fs';
import { isFerretDb, withDb } from '../helpers';

/** The process serving this port, found by its command line (FerretDB is started with `--listen-addr=host:port`). */
function processListeningOn(port: string): number | undefined {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.some((a) => a === `--listen-addr=127.0.0.1:${port}`)) return Number(entry);
    } catch {
      /* gone meanwhile, or not ours to read */
    }
  }
  return undefined;
}

function environmentOf(pid: number): Map<string, string> {
  const vars = readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter(Boolean);
  return new Map(vars.map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
}

describe('embedded FerretDB tuning', () => {
  it('runs FerretDB with a garbage-collector target of 400 unless the launcher was given its own GOGC', async () => {
    const ferret = await withDb(isFerretDb);
    const port = new URL(process.env.TEST_MONGO_URI!).port;
    const pid = processListeningOn(port);
    if (!ferret) {
      // A local mongod stands in for FerretDB on machines that have one: the setting is FerretDB's alone.
      expect(pid).toBeUndefined();
      return;
    }
    expect(pid).toBeDefined();
    expect(environmentOf(pid!).get('GOGC')).toBe(process.env.GOGC ?? '400');
  });
});
